"""In a real browser (issue 11): a new moderator signs in, is sent to set up two-factor
(TOTP) before the console opens, enrols an authenticator in the page, works the queue,
corrects alice's topic dispute and rejects her score dispute; alice sees both answers, the
notification and the corrected topics; the audit trail shows it all, on her own activity
page and in the console's audit log, which an admin opens after signing in with TOTP. The
deny-list removes an approved topic everywhere at once. axe-core and overflow are checked on
every console page at 1280 and 390 px. With UPDATE_DOCS_SCREENSHOTS=1, the desktop run also
refreshes the screenshots in docs/img/ that docs/moderation.md shows (a plain run never
writes into the checkout)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from moderation.models import Dispute, DisputeStatus
from moderation.services.disputes import dispute_open
from profiles.models import User
from profiles.pseudonyms import member_pseudonym
from scoring import selectors as scoring_selectors
from scoring.models import Topic, TopicStatus
from scoring.services.runs import score_members_now
from tests.admin.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    admin_member,
    mod_without_mfa,
    verified,
)
from tests.admin.test_login import current_code
from tests.browser import VIEWPORTS, check_page
from tests.builders import imported

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_SCREENSHOTS", "") not in ("", "0", "false")


def sign_in(page: Page, email: str, *, code: bool = False) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if code:
        page.locator("input[name=code]").fill(current_code())
        page.get_by_role("button", name="Sign In").click()


def totp_enrol_in_page(page: Page) -> None:
    """On allauth's activation page: read the secret shown beside the QR code, as an
    authenticator app would, and confirm with the code it gives."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    expect(page.locator("img.qr")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Recovery Codes")


def shot(page: Page, name: str, viewport: str) -> None:
    """check_page everywhere; on the desktop run, also the docs' screenshot."""
    check_page(page, f"console-{name}-{viewport}")
    if viewport == "desktop" and UPDATE_DOCS:
        page.screenshot(path=str(DOCS_IMG / f"console-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_moderator_works_alices_disputes_and_she_sees_the_answers(
    page: Page,
    live_server,
    alice: User,
    mod_without_mfa: User,  # noqa: F811
    admin_member: User,  # noqa: F811
    viewport: str,
) -> None:
    from allauth.mfa.models import Authenticator

    mod = mod_without_mfa
    verified(alice)
    imported(alice, tags=["python"])
    score_members_now(user_ids=[alice.pk])
    Topic.objects.create(user=alice, label="gambling", status=TopicStatus.APPROVED)
    Topic.objects.create(user=alice, label="health", status=TopicStatus.APPROVED)
    topic = dispute_open(
        member=alice, subject="topic", detail="gambling", reason="I never post about it."
    )
    score = dispute_open(member=alice, subject="score", reason="My followers are real.")
    size = VIEWPORTS[viewport]
    page.set_viewport_size({"width": size["width"], "height": size["height"]})
    base = live_server.url

    # A moderator without two-factor is sent to set it up before any console page opens.
    page.goto(f"{base}/moderation/")
    sign_in(page, mod.email)
    # Setting up two-factor asks for the password again (allauth's reauthentication).
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next=.*totp"))
    expect(page.locator(".banners")).to_contain_text(
        "Staff pages open only after you set up two-factor sign-in"
    )
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next=%2Fmoderation%2F"))
    assert not Authenticator.objects.filter(user=mod).exists()
    shot(page, "mfa-setup", viewport)
    totp_enrol_in_page(page)
    assert Authenticator.objects.filter(user=mod, type=Authenticator.Type.TOTP).exists()
    page.goto(f"{base}/moderation/")
    expect(page).to_have_url(f"{base}/moderation/")
    expect(page.get_by_test_id("count-open")).to_have_text("2")
    shot(page, "home", viewport)

    page.get_by_role("link", name="Disputes", exact=True).first.click()
    expect(page.get_by_test_id("queue")).to_contain_text("gambling")
    shot(page, "queue", viewport)
    page.get_by_label(f"Select dispute {topic.pk}").check()
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_test_id(f"dispute-{topic.pk}")).to_contain_text("You")

    page.goto(f"{base}/moderation/disputes/{topic.pk}/")
    expect(page.get_by_test_id("member-statement")).to_contain_text("I never post about it.")
    expect(page.get_by_test_id("snapshot")).to_contain_text("gambling")
    shot(page, "dispute", viewport)
    page.get_by_label("Correct it").check()
    page.get_by_label("Remove the topic").check()
    page.get_by_label("Reason: the member reads").fill("Nothing you posted is about gambling.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_test_id("dispute-status")).to_have_text("Corrected")

    page.goto(f"{base}/moderation/disputes/{score.pk}/")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("assignee")).to_contain_text("You")
    page.get_by_label("Reject the dispute").check()
    page.get_by_label("Reason: the member reads").fill("Your score matches your data.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_test_id("dispute-status")).to_have_text("Rejected")
    shot(page, "answered", viewport)

    # The deny-list: an approved, public topic goes from everyone at once.
    assert scoring_selectors.topics_shown_publicly().filter(user=alice, label="health")
    page.goto(f"{base}/moderation/deny-list/")
    page.get_by_role("textbox", name="Label").fill("Health")
    page.get_by_label("Reason (for the audit log").fill("A sensitive category")
    page.get_by_role("button", name="Add and remove everywhere").click()
    expect(page.get_by_test_id("deny-list")).to_contain_text("health")
    shot(page, "deny-list", viewport)
    assert not scoring_selectors.topics_shown_publicly().filter(label="health").exists()
    assert not Topic.objects.filter(label="health").exists()

    page.goto(f"{base}/moderation/flags/")
    shot(page, "flags", viewport)
    page.goto(f"{base}/moderation/freezes/")
    shot(page, "freezes", viewport)
    assert set(Dispute.objects.values_list("status", flat=True)) == {
        DisputeStatus.CORRECTED,
        DisputeStatus.REJECTED,
    }

    # Alice reads both answers, the notification and her corrected topics.
    page.context.clear_cookies()
    page.goto(f"{base}/disputes/")
    sign_in(page, alice.email)
    expect(page).to_have_url(f"{base}/disputes/")
    answers = page.get_by_test_id("disputes")
    expect(answers).to_contain_text("Nothing you posted is about gambling.")
    expect(answers).to_contain_text("Your score matches your data.")
    page.goto(f"{base}/notifications/")
    expect(page.locator("main")).to_contain_text("A moderator corrected what you disputed")
    expect(page.locator("main")).to_contain_text("A moderator rejected your dispute")
    expect(page.locator("main")).to_contain_text("The topic “health” was removed")
    page.goto(f"{base}/topics/")
    shown = [t.label for t in scoring_selectors.member_topics_shown(member=alice)]
    assert "gambling" not in shown and "health" not in shown
    page.goto(f"{base}/account/activity/")
    trail = page.get_by_test_id("audit-entries")
    for action in ("Dispute assigned", "Dispute corrected", "Dispute rejected"):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text("A moderator")

    # An admin reads the whole trail of the moderator's actions in the console's audit log.
    page.context.clear_cookies()
    page.goto(f"{base}/moderation/audit/")
    sign_in(page, admin_member.email, code=True)
    expect(page).to_have_url(f"{base}/moderation/audit/")
    log = page.get_by_test_id("audit-log")
    by_mod = member_pseudonym(mod.pk)[:12]
    moderator_trail = [
        ("dispute.assigned", "Dispute assigned", 2),
        ("dispute.corrected", "Dispute corrected", 1),
        ("dispute.rejected", "Dispute rejected", 1),
        ("topic.deny", "Topic deny-listed", 1),
    ]
    for value, label, times in moderator_trail:
        rows = log.locator("tbody tr").filter(has_text=label)
        expect(rows).to_have_count(times)
        for i in range(times):
            expect(rows.nth(i)).to_contain_text(by_mod)
            if value != "topic.deny":  # the deny-list is about no one member
                expect(rows.nth(i)).to_contain_text(member_pseudonym(alice.pk)[:12])
    expect(log).to_contain_text("Nothing you posted is about gambling.")
    expect(log).to_contain_text("Your score matches your data.")
    expect(log).not_to_contain_text(mod.email)
    expect(page.get_by_test_id("audit-export")).to_be_visible()
    shot(page, "audit", viewport)
    page.get_by_label("Action").select_option(label="Dispute rejected")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("audit-log").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("audit-summary")).to_contain_text("1 entry")
