"""The header at 360 px with and without JavaScript, the account settings page, and the
branded error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from playwright.sync_api import Browser, Page, ViewportSize, expect

from profiles.models import User
from tests.browser import horizontal_overflow

SMALL: ViewportSize = {"width": 360, "height": 740}


def signed_in_cookie(client: Client, user: User, base: str) -> dict[str, Any]:
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}


# --- The header fits a small phone ----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_signed_in_header_fits_360px_and_sign_out_is_reachable(
    browser: Browser, live_server: Any, client: Client, mod: User, javascript: bool
) -> None:
    context = browser.new_context(viewport=SMALL, java_script_enabled=javascript)
    context.add_cookies([signed_in_cookie(client, mod, live_server.url)])  # type: ignore[list-item]
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/consent/")
        assert horizontal_overflow(page) <= 0
        nav = page.get_by_role("navigation", name="Main")
        if javascript:
            menu = page.get_by_role("button", name="Menu")
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(nav).to_be_hidden()
            menu.click()
            expect(menu).to_have_attribute("aria-expanded", "true")
        for name in ("Dashboard", "Topics", "Sources", "Consent", "Moderation", "Account settings"):
            link = nav.get_by_role("link", name=name, exact=True)
            expect(link).to_be_visible()
            assert link.bounding_box()["x"] + link.bounding_box()["width"] <= SMALL["width"]  # type: ignore[index]
        expect(nav.get_by_role("link", name="Consent", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        sign_out = nav.get_by_role("button", name="Sign out")
        expect(sign_out).to_be_in_viewport()
        assert horizontal_overflow(page) <= 0
        sign_out.click()
        expect(page.locator("form[action='/accounts/logout/']")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_skip_link_is_first_and_moves_focus_to_the_content(
    page: Page, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/privacy/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the :focus-visible ring
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()


# --- Account settings ------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_settings_needs_a_signed_in_member(client: Client) -> None:
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_account_settings_shows_sign_in_and_data_controls(client: Client, alice: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    client.force_login(alice)
    response = client.get("/account/")
    assert response.status_code == 200
    html = response.content.decode()
    for text, url in [
        ("Manage email addresses", "/accounts/email/"),
        ("Change password", "/accounts/password/change/"),
        ("Set up two-factor", "/accounts/2fa/totp/activate/"),
        ("sign out everywhere else", "/accounts/sessions/"),
        ("Manage sign-in connections", "/accounts/3rdparty/"),
        ("Download your data", "/account/export/"),
        ("Delete your account", "/account/delete/"),
        ("Public profile", "/account/profile/"),
        ("Notifications", "/notifications/"),
        ("API tokens", "/account/api-tokens/"),
        ("Activity on your account", "/account/activity/"),
    ]:
        assert text in html, text
        assert f'href="{url}"' in html, url
    assert "alice@example.org" in html
    assert "Verified" in html
    # The navigation links here and marks it as the current page.
    assert 'href="/account/" aria-current="page">Account settings' in html


@pytest.mark.django_db
def test_account_settings_shows_only_the_members_own_sessions(
    client: Client, alice: User, mallory: User
) -> None:
    from allauth.usersessions.models import UserSession

    UserSession.objects.create(
        user=mallory, ip="198.51.100.9", session_key="m" * 32, user_agent="MalloryBrowser"
    )
    client.force_login(alice)
    html = client.get("/account/").content.decode()
    assert "MalloryBrowser" not in html
    assert "198.51.100.9" not in html


@pytest.mark.django_db
def test_staff_see_moderation_and_members_do_not(client: Client, alice: User, mod: User) -> None:
    client.force_login(alice)
    assert 'href="/moderation/"' not in client.get("/account/").content.decode()
    client.force_login(mod)
    assert 'href="/moderation/"' in client.get("/account/").content.decode()


# --- Messages and error pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_each_message_is_its_own_banner_without_list_items(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post("/consent/public_profile/", {"action": "withdraw"}, follow=True)
    html = response.content.decode()
    assert 'class="banner banner--success" role="status"' in html
    banners = html.split('<div class="banners">', 1)[1].split('<div class="page', 1)[0]
    assert banners.count('class="banner') == 1
    assert "<li" not in banners


@pytest.mark.django_db
def test_the_404_page_is_branded(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert "Skip to content" in html
    assert "content-security-policy" in {k.lower() for k in response.headers}


def test_the_500_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")  # as Django's server_error does: no context at all
    assert "<h1>Something went wrong</h1>" in html
    assert "/static/css/app.css" in html


@pytest.mark.django_db
def test_a_failed_csrf_check_gets_the_branded_page(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/consent/scoring/", {"action": "withdraw"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.django_db
def test_no_template_has_inline_scripts_or_styles() -> None:
    from django.conf import settings

    templates = settings.BASE_DIR / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        text = path.read_text()
        if "<style" in text or " style=" in text or "<script>" in text:
            offenders.append(str(path.relative_to(templates)))
        for line in text.splitlines():
            if "<script" in line and "src=" not in line:
                offenders.append(f"{path.relative_to(templates)}: {line.strip()}")
    assert not offenders
