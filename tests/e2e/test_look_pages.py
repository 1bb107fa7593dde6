"""Every page of the look and feel, in Chromium at desktop and phone widths: axe-core has no
serious or critical finding, nothing overflows sideways, the Content-Security-Policy header
is there and the browser logs no violation of it. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from influence.cache import cache_clear_own_keys
from profiles.models import User
from tests.browser import VIEWPORTS, check_page
from tests.conftest import make_member

PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class CspWatch:
    """Records every Content-Security-Policy violation a page reports (the DOM's
    securitypolicyviolation event, listened to from before the page's own scripts run)."""

    INIT = """
      window.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        window.__cspViolations.push(
          `${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
            + ` in ${e.sourceFile}:${e.lineNumber}`
        );
      });
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.violations: list[str] = []
        page.add_init_script(self.INIT)
        page.on("pageerror", lambda error: self.violations.append(f"page error: {error}"))

    def collect(self) -> None:
        """Take the violations the current page reported so far (call before injecting axe,
        which sets inline styles of its own)."""
        url = self.page.url
        found = self.page.evaluate("() => window.__cspViolations || []")
        self.violations.extend(f"{url}: {v}" for v in found)


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: Any, page: Page) -> Iterator[str]:
    size = VIEWPORTS[request.param]
    page.set_viewport_size({"width": size["width"], "height": size["height"]})
    yield request.param


@pytest.fixture
def csp(page: Page) -> CspWatch:
    return CspWatch(page)


def visit(page: Page, url: str, csp: CspWatch, *, status: int = 200) -> None:
    response = page.goto(url)
    page.wait_for_load_state("load")
    csp.collect()
    assert response is not None
    assert response.status == status, f"{url}: {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy, f"{url}: no CSP header ({policy!r})"
    assert "unsafe-inline" not in policy


def verified(user: User) -> User:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))


def test_public_pages_look_right(
    page: Page, live_server: Any, viewport: str, csp: CspWatch, alice: User
) -> None:
    base = live_server.url
    for name, path in [
        ("home", "/"),
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("password-reset", "/accounts/password/reset/"),
        ("password-reset-done", "/accounts/password/reset/done/"),
        ("password-reset-bad-link", "/accounts/password/reset/key/1-not-a-real-key/"),
        ("privacy", "/privacy/"),
        ("how-scores-work", "/how-scores-work/"),
        ("receipt-verify", "/receipts/verify/"),
    ]:
        visit(page, base + path, csp)
        check_page(page, name)
    visit(page, f"{base}/no-such-page/", csp, status=404)
    expect(page.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    check_page(page, "404")
    assert not csp.violations, csp.violations


def test_the_verification_code_page_offers_a_new_code(
    page: Page, live_server: Any, viewport: str, csp: CspWatch, mailoutbox: list
) -> None:
    # A member who has not confirmed their address yet: signing in sends a code and asks for it.
    dana = make_member("dana@example.org", [], verified=False)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(dana.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")
    expect(page.get_by_role("button", name=re.compile("send a new code", re.I))).to_be_visible()
    csp.collect()
    check_page(page, "verification-code")
    sent = len(mailoutbox)
    cache_clear_own_keys()  # the first code counts against allauth's resend limit
    page.get_by_role("button", name=re.compile("send a new code", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("sent")
    assert len(mailoutbox) == sent + 1
    csp.collect()
    # At once again: the limit answers with the site's own page, not a stock one.
    page.get_by_role("button", name=re.compile("send a new code", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    check_page(page, "too-many-attempts")
    assert not csp.violations, csp.violations


def test_member_pages_look_right(
    page: Page, live_server: Any, viewport: str, csp: CspWatch, alice: User
) -> None:
    base = live_server.url
    sign_in(page, base, verified(alice))
    for name, path in [
        ("account-settings", "/account/"),
        ("mfa-index", "/accounts/2fa/"),
        ("sessions", "/accounts/sessions/"),
        ("email", "/accounts/email/"),
        ("password-change", "/accounts/password/change/"),
        ("connections", "/accounts/3rdparty/"),
        ("consent-centre", "/consent/"),
        ("data-export", "/account/export/"),
        ("reconsent", "/consent/review/"),
        ("account-delete", "/account/delete/"),
        ("logout", "/accounts/logout/"),
    ]:
        visit(page, base + path, csp)
        check_page(page, name)
    assert not csp.violations, csp.violations


def test_a_member_turns_on_two_factor_from_account_settings(
    page: Page, live_server: Any, viewport: str, csp: CspWatch, alice: User
) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    base = live_server.url
    sign_in(page, base, verified(alice))
    visit(page, f"{base}/account/", csp)
    expect(page.get_by_test_id("settings-mfa")).to_contain_text("Off")
    page.get_by_role("link", name="Set up two-factor").click()

    # Changing two-factor asks for the password again, on the site's own page.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    csp.collect()
    check_page(page, "reauthenticate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.locator("img.qr")).to_be_visible()  # a data: image, allowed by img-src
    csp.collect()
    check_page(page, "mfa-setup")
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Recovery Codes")
    csp.collect()
    check_page(page, "mfa-recovery-codes")
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    visit(page, f"{base}/account/", csp)
    expect(page.get_by_test_id("settings-mfa")).to_contain_text("On")
    expect(page.get_by_test_id("settings-mfa")).to_contain_text("10 unused recovery codes")

    # Signing in again now asks for a code, on the site's own page.
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # the phone layout folds the navigation into a menu
        menu.click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    csp.collect()
    check_page(page, "mfa-authenticate")
    assert not csp.violations, csp.violations
