"""The member pages in a real Chromium, at desktop and phone widths: every page in each of
its states (empty, scored, flagged, frozen) passes axe-core, fits the width and leaves a
screenshot; and the journey through topics, a dispute, deletion and withdrawal works."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from profiles.models import User
from scoring.models import GamingFlag, Score, ScoreSnapshot, Topic, TopicBlock, TopicStatus
from scoring.services.runs import score_members_now
from tests.browser import VIEWPORTS, check_page
from tests.scoring.builders import RING, flag_add, history_add, scored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]
    )


def check(page: Page, name: str) -> None:
    """check_page on the page as it is, reloaded first if it shows a one-time message."""
    if page.locator("ul.messages").count():
        page.goto(page.url)
    check_page(page, name)


def topic_row(page: Page, label: str) -> Any:
    return page.get_by_test_id(f"topic-{label}")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_alice_walks_every_member_page_in_every_state(
    page: Page, live_server: Any, alice: User, viewport: str
) -> None:
    base = live_server.url
    size = VIEWPORTS[viewport]
    page.set_viewport_size({"width": size["width"], "height": size["height"]})
    sign_in(page, base, alice)

    # Empty: no sources yet.
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("no-score")).to_be_visible()
    check(page, "dashboard empty")
    page.goto(f"{base}/topics/")
    expect(page.get_by_test_id("topics-empty")).to_be_visible()
    check(page, "topics empty")
    page.goto(f"{base}/dashboard/statement/")
    check(page, "statement empty")

    # Scored, with a history that crossed a model change.
    history_add(alice, 6, version="old-1")
    score = scored(alice)
    Topic.objects.create(user=alice, label="diabetes", sensitive_category="health")
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("score-value")).to_have_text(str(score.value))
    expect(page.get_by_test_id("history-plot")).to_be_visible()
    expect(page.get_by_test_id("history-marks")).to_contain_text("Model changed to")
    check(page, "dashboard scored")
    page.get_by_role("link", name="How your score was computed").click()
    expect(page.get_by_test_id("part-engagement")).to_contain_text("distinct accounts")
    check(page, "statement scored")

    # Topics: approve, block, unblock, delete, one click each.
    page.goto(f"{base}/topics/")
    check(page, "topics scored")
    page.get_by_role("button", name="Approve privacy").click()
    expect(topic_row(page, "privacy")).to_contain_text("Approved")
    page.get_by_role("button", name="Block python").click()
    expect(page.get_by_test_id("blocked-python")).to_be_visible()
    expect(topic_row(page, "python")).to_have_count(0)
    check(page, "topics blocked")
    page.get_by_role("button", name="Unblock python").click()
    expect(page.get_by_test_id("blocked-python")).to_have_count(0)
    assert not TopicBlock.objects.filter(user=alice).exists()
    page.get_by_role("button", name="Delete privacy").click()
    expect(topic_row(page, "privacy")).to_have_count(0)
    assert not Topic.objects.filter(user=alice, label="privacy").exists()
    # A sensitive topic needs a second, explained yes.
    page.get_by_role("button", name="Approve diabetes").click()
    expect(page.get_by_test_id("sensitive-confirm")).to_contain_text("special category")
    check(page, "topic sensitive confirmation")
    page.get_by_role("button", name="Yes, approve").click()
    expect(topic_row(page, "diabetes")).to_contain_text("Approved")
    page.get_by_label("Add a topic yourself").fill("Privacy")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("Add a topic yourself").fill("#privacy")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("topic-error")).to_contain_text("already one of your topics")
    check(page, "topics error")

    # Flagged.
    flag_add(alice, "engagement_ring", RING)
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("flags")).to_contain_text("came from 12 accounts")
    check(page, "dashboard flagged")

    # Dispute the score: frozen on the dashboard.
    page.get_by_role("link", name="Dispute your score, a flag or a topic").click()
    check(page, "disputes")
    page.get_by_label("What do you dispute?").select_option(label="My score")
    page.get_by_label("Why?").fill("Most of my followers are colleagues.")
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.get_by_test_id("open-count")).to_have_text("1")
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("frozen")).to_contain_text("frozen while your dispute is open")
    expect(page.get_by_test_id("history-marks")).to_contain_text("You disputed my score")
    check(page, "dashboard frozen")

    # A run while frozen records history but leaves the score; it suggests python again
    # (unblocked above), and alice blocks it, to see the block outlive the withdrawal.
    score_members_now(user_ids=[alice.pk])
    assert Score.objects.get(user=alice).value == score.value
    page.goto(f"{base}/topics/")
    page.get_by_role("button", name="Block python").click()
    expect(page.get_by_test_id("blocked-python")).to_be_visible()

    # Delete the score and its history, through the confirmation page.
    page.goto(f"{base}/dashboard/")
    page.get_by_role("link", name="Delete your score and its history").click()
    expect(page.get_by_test_id("score-delete")).to_contain_text("computes a fresh score")
    expect(page.get_by_test_id("score-delete-dispute")).to_contain_text("dispute")
    check(page, "score delete confirmation")
    page.get_by_role("button", name="Delete my score and its history").click()
    expect(page.get_by_role("status")).to_contain_text("were deleted")
    expect(page.get_by_test_id("score-value")).to_have_count(0)
    assert not Score.objects.filter(user=alice).exists()
    assert not ScoreSnapshot.objects.filter(user=alice).exists()
    assert not GamingFlag.objects.filter(user=alice).exists()
    # The score dispute went with the score: withdrawn, so a fresh score is not held.
    assert set(alice.disputes.filter(subject="score").values_list("status", flat=True)) == {
        "withdrawn"
    }

    # Withdraw scoring through its confirmation page.
    page.goto(f"{base}/consent/")
    page.locator("#purpose-scoring").get_by_role("link", name="Withdraw").click()
    expect(page.get_by_test_id("withdraw-deletes")).to_contain_text("your topics")
    expect(page.get_by_test_id("withdraw-keeps")).to_contain_text("labels you blocked")
    check(page, "withdraw scoring confirmation")
    page.get_by_role("button", name="Withdraw and delete").click()
    expect(page.get_by_role("status")).to_contain_text("scores, topics and signals were deleted")
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("state-no-consent")).to_be_visible()
    check(page, "dashboard no consent")
    page.goto(f"{base}/topics/")
    expect(page.get_by_test_id("blocked-python")).to_be_visible()
    check(page, "topics no consent")

    # Re-grant; the next run suggests from the posts again, but never python.
    page.goto(f"{base}/consent/")
    page.locator("#purpose-scoring").get_by_role("button", name="Grant").click()
    scored(alice)
    page.goto(f"{base}/topics/")
    expect(topic_row(page, "privacy")).to_contain_text("Suggested")
    expect(topic_row(page, "python")).to_have_count(0)
    expect(page.get_by_test_id("blocked-python")).to_be_visible()
    assert (
        Topic.objects.filter(user=alice, label="python").exclude(status=TopicStatus.BLOCKED).count()
        == 0
    )
