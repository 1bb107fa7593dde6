"""The public-profile pages in Chromium at desktop and phone widths: axe-core, no horizontal
overflow, a screenshot each (tests/browser.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services.handles import handle_set
from profiles.services.notifications import notification_send
from scoring.models import Topic, TopicStatus
from tests.browser import VIEWPORTS, check_page
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_public_pages_pass_axe_and_fit(
    page: Any, live_server: Any, public_alice: User, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    base = live_server.url
    notification_send(
        user_id=public_alice.pk, kind="score_first", title="Your first score: 42.50",
        body="See how every point was earned on your dashboard.", url="/dashboard/",
    )  # fmt: skip

    page.goto(f"{base}/@alice_q")
    assert page.get_by_test_id("public-score").inner_text() == "42.50"
    check_page(page, f"public profile {viewport}")

    page.goto(f"{base}/people/?q=%23privacy")
    assert page.get_by_test_id("directory-entry").count() == 1
    check_page(page, f"directory {viewport}")

    page.goto(f"{base}/people/?q=%23nothingqux")
    assert page.get_by_test_id("directory-empty").is_visible()
    check_page(page, f"directory empty {viewport}")

    for n in range(24):  # with alice, 25 listed: two pages
        member = make_member(f"page{n:02d}@example.org", [Purpose.DISCOVERY])
        handle_set(member=member, handle=f"page_{n:02d}_with_a_long_handle")
        Topic.objects.create(user=member, label="privacy", status=TopicStatus.APPROVED, score=n)
    page.goto(f"{base}/people/?page=2")
    assert page.get_by_test_id("directory-entry").count() == 5
    assert page.get_by_text("Page 2 of 2").is_visible()
    page.get_by_role("link", name="Previous").click()
    assert page.get_by_test_id("directory-entry").count() == 20
    assert page.get_by_role("link", name="Next").is_visible()
    check_page(page, f"directory paginated {viewport}")

    sign_in(page, live_server, public_alice)
    page.goto(f"{base}/account/profile/")
    assert page.get_by_test_id("profile-live").is_visible()
    assert "/@alice_q/badge.svg" in page.get_by_test_id("badge-embed").input_value()
    check_page(page, f"profile settings {viewport}")

    page.fill("#handle", "no good!")
    page.get_by_role("button", name="Save handle").click()
    assert page.get_by_test_id("profile-error").is_visible()
    check_page(page, f"profile settings error {viewport}")

    page.goto(f"{base}/notifications/")
    assert page.get_by_test_id("notification").count() >= 2
    check_page(page, f"notifications {viewport}")
    page.get_by_role("button", name="Mark all as read").click()
    assert page.get_by_text("All read").is_visible()
    check_page(page, f"notifications read {viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_new_member_sees_the_empty_states(
    page: Any, live_server: Any, bob: User, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, live_server, bob)
    page.goto(f"{live_server.url}/account/profile/")
    assert page.get_by_test_id("profile-offline").is_visible()
    check_page(page, f"profile settings empty {viewport}")
    page.goto(f"{live_server.url}/people/")
    check_page(page, f"directory nobody {viewport}")
