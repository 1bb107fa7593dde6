"""The API tokens page and the authorised apps in the consent centre, in a real browser."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from profiles.models import PersonalAccessToken, User
from tests.api_helpers import oauth_token_for
from tests.browser import VIEWPORTS, check_page


def sign_in(page, live_server, member: User) -> None:
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_member_makes_sees_once_and_revokes_a_token(page, live_server, alice, viewport) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/account/api-tokens/")
    check_page(page, "api tokens empty")
    page.get_by_label("Name (what the token is for)").fill("my laptop")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Make token").click()
    secret = page.get_by_test_id("new-token").inner_text()
    assert secret.startswith("inf_")
    check_page(page, "api tokens new")
    page.goto(f"{live_server.url}/account/api-tokens/")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke my laptop").click()
    assert PersonalAccessToken.objects.get(user=alice).revoked_at is not None
    check_page(page, "api tokens revoked")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_consent_centre_lists_an_app_and_revokes_it(page, live_server, alice) -> None:
    page.set_viewport_size(VIEWPORTS["phone"])
    oauth_token_for(alice, name="Score widget")
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/consent/#apps")
    check_page(page, "consent centre apps")
    page.get_by_role("button", name="Revoke Score widget").click()
    assert "No app holds access" in page.content()
