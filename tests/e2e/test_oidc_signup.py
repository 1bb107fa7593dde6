"""Sign up through a real OpenID Connect provider, in a real Chromium, and use every right.

The provider (allauth.idp.oidc) is a separate Django project the test starts on a second
port; Influence learns about it only from the OIDC_PROVIDERS environment variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from playwright.sync_api import Page, expect

from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.purposes import Purpose
from profiles.receipts import receipt_verify
from scoring.models import Score
from tests.idp.server import IdentityProvider
from tests.profiles.conftest import give_score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "olive@idp.example"
PASSWORD = "the provider's own passphrase"


@pytest.fixture
def identity_provider(live_server, monkeypatch, settings) -> Iterator[IdentityProvider]:
    callback = f"{live_server.url}/accounts/oidc/testidp/login/callback/"
    provider = IdentityProvider(redirect_uri=callback, email=EMAIL, password=PASSWORD)
    try:
        monkeypatch.setenv(
            "OIDC_PROVIDERS",
            json.dumps(
                [
                    {
                        "id": "testidp",
                        "name": "Test IdP",
                        "server_url": provider.url,
                        "client_id": provider.client_id,
                        "secret": provider.secret,
                    }
                ]
            ),
        )
        # The settings module's own reader turns the variable into allauth's settings,
        # exactly as at start-up; no SocialApp row, no code for this provider.
        from influence.settings import _oidc_providers

        settings.SOCIALACCOUNT_PROVIDERS = {
            **settings.SOCIALACCOUNT_PROVIDERS,
            "openid_connect": {"APPS": _oidc_providers(), "OAUTH_PKCE_ENABLED": True},
        }
        yield provider
    finally:
        provider.stop()


def test_a_person_signs_up_through_openid_connect_and_uses_every_right(
    page: Page, live_server, identity_provider: IdentityProvider, tmp_path: Path
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    page.get_by_role("link", name="Test IdP").click()
    page.get_by_role("button", name="Continue").click()

    # At the provider: sign in there (a different site, on another port).
    expect(page).to_have_url(re.compile(rf"^{re.escape(identity_provider.url)}/"))
    page.locator("input[name=login]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form").get_by_role("button", name=re.compile("Sign In", re.I)).click()

    # Back at Influence, on the consent step: nothing exists yet.
    expect(page.locator("fieldset.consent-step")).to_be_visible()
    assert page.url.startswith(f"{base}/accounts/3rdparty/signup/")
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    assert not ConsentRecord.objects.exists()
    for box in page.locator("fieldset.consent-step input[type=checkbox]").all():
        expect(box).not_to_be_checked()
    expect(page.locator("input[name=email]")).to_have_value(EMAIL)

    for name in ["age_confirmed", "consent_terms", "consent_scoring", "consent_public_profile"]:
        page.locator(f"input[name={name}]").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()

    user = User.objects.get(email=EMAIL)
    assert SocialAccount.objects.get(user=user).provider == "testidp"
    granted = ConsentRecord.objects.filter(user=user)
    assert {r.purpose for r in granted} == {Purpose.TERMS, Purpose.SCORING, Purpose.PUBLIC_PROFILE}
    assert {r.method for r in granted} == {ConsentMethod.SIGNUP}

    # A score, so there is something to withdraw.
    score = give_score(user, handle="olive@idp.social")
    page.reload()
    expect(page.get_by_test_id("score-value")).to_have_text(str(score.value))

    # A public page needs a handle the member chooses.
    page.get_by_role("link", name="Account settings").click()
    page.get_by_role("link", name="Public profile").click()
    page.get_by_role("textbox", name="Your handle").fill("olive")
    page.get_by_role("button", name="Save handle").click()
    expect(page.get_by_role("status")).to_be_visible()

    # The receipts: download them from the consent centre, and verify them.
    page.get_by_role("link", name="Consent").click()
    public_link = page.get_by_test_id("public-link")
    expect(public_link).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("download-receipts").click()
    receipts_file = tmp_path / "receipts.json"
    download_info.value.save_as(receipts_file)
    receipts = json.loads(receipts_file.read_text())["receipts"]
    assert len(receipts) == 3
    assert all(receipt_verify(r["jws"]).genuine for r in receipts)
    call_command("verify_receipt", str(receipts_file))  # raises unless all are genuine

    public_url = public_link.get_attribute("href")
    page.get_by_role("link", name="Verify a receipt").click()
    page.locator("input[name=file]").set_input_files(str(receipts_file))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("verify-result")).to_have_count(3)
    for result in page.get_by_test_id("verify-result").all():
        expect(result).to_contain_text("Genuine")

    page.goto(f"{base}{public_url}")
    expect(page.get_by_test_id("public-score")).to_have_text(str(score.value))

    # Withdraw scoring, after a page that says what goes: the score is gone, everywhere.
    page.goto(f"{base}/consent/")
    page.locator("#purpose-scoring").get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw and delete").click()
    expect(page.get_by_role("status")).to_contain_text("scores, topics and signals were deleted")
    assert not Score.objects.filter(user=user).exists()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Scoring is off")).to_be_visible()
    expect(page.get_by_test_id("score-value")).to_have_count(0)
    page.goto(f"{base}{public_url}")
    expect(page.get_by_test_id("public-no-score")).to_be_visible()
    page.screenshot(path=str(Path(__file__).parent.parent.parent / "var" / "e2e-oidc.png"))
