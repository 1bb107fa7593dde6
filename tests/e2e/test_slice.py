"""The whole slice in a real Chromium: sign up, consent, upload, score, withdraw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from profiles.models import User
from scoring.models import Score
from signals.models import Engagement
from tests.conftest import WorkerProcess
from tests.samples import archive_text

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def sign_up(page: Page, base: str, email: str, mailoutbox: list, purposes: list[str]) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Password (again)").fill("a long enough passphrase")
    for name in ["age_confirmed", "consent_terms", *purposes]:
        page.locator(f"input[name={name}]").check()
    page.get_by_role("button", name="Sign up").click()
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", mailoutbox[-1].body, re.M)
    assert code, mailoutbox[-1].body
    page.locator("input[name=code]").fill(code.group(1))
    page.get_by_role("button", name=re.compile("Confirm|Verify", re.I)).click()


def test_a_person_signs_up_imports_sees_a_score_and_withdraws(
    page: Page,
    live_server,
    mailoutbox,
    celery_worker_process: WorkerProcess,
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    for box in page.locator("fieldset.consent-step input[type=checkbox]").all():
        expect(box).not_to_be_checked()

    sign_up(page, base, "walker@example.org", mailoutbox, ["consent_scoring"])
    expect(page.get_by_test_id("no-score")).to_be_visible()

    archive = tmp_path / "my-archive.jsonl"
    archive.write_text(archive_text())
    page.get_by_role("link", name="Import an archive").click()
    page.locator("input[name=archive]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Done", timeout=60_000)

    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page.get_by_test_id("score-value")).to_be_visible()
    user = User.objects.get(email="walker@example.org")
    score = Score.objects.get(user=user)
    expect(page.get_by_test_id("score-value")).to_have_text(str(score.value))
    expect(page.get_by_test_id("components")).to_contain_text("Reach")
    page.screenshot(path=str(Path(__file__).parent.parent.parent / "var" / "e2e-dashboard.png"))

    page.get_by_role("link", name="Dispute your score, a flag or a topic").click()
    page.get_by_label("What do you dispute?").select_option(label="My score")
    page.get_by_label("Why?").fill("Most of my followers are colleagues.")
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.get_by_test_id("disputes")).to_contain_text("Waiting for a moderator")
    expect(page.get_by_test_id("disputes")).to_contain_text("Most of my followers")
    page.get_by_role("link", name="Back to your dashboard").click()

    page.get_by_role("link", name="Consent").click()
    page.locator("#purpose-scoring").get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw and delete").click()
    expect(page.get_by_role("status")).to_contain_text("scores, topics and signals were deleted")
    assert not Score.objects.filter(user=user).exists()
    assert not Engagement.objects.filter(user=user).exists()

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Scoring is off")).to_be_visible()
    expect(page.get_by_test_id("score-value")).to_have_count(0)


def test_a_broken_archive_shows_the_line_and_reason(
    page: Page, live_server, mailoutbox, celery_worker_process: WorkerProcess, tmp_path: Path
) -> None:
    sign_up(page, live_server.url, "typo@example.org", mailoutbox, ["consent_scoring"])
    archive = tmp_path / "broken.jsonl"
    archive.write_text(archive_text() + "not json at all\n")
    page.goto(f"{live_server.url}/imports/new/")
    page.locator("input[name=archive]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Refused", timeout=60_000)
    lines = archive.read_text().count("\n")
    expect(page.locator("#import-errors")).to_contain_text(f"Line {lines}:")
    assert not Engagement.objects.exists()
