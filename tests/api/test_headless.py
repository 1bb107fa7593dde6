"""Sign-up and sign-in by API (allauth's headless mode) carry the consent step."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.models import ConsentRecord, User
from profiles.purposes import Purpose

pytestmark = pytest.mark.django_db

SIGNUP = "/_allauth/app/v1/auth/signup"
PASSWORD = "correct horse battery staple"


def signup(body: dict) -> tuple[int, dict]:
    response = Client().post(SIGNUP, body, content_type="application/json")
    return response.status_code, response.json()


def test_headless_signup_without_the_consent_step_is_refused_and_creates_no_one() -> None:
    status, body = signup({"email": "dana@example.org", "password": PASSWORD})
    assert status == 400
    fields = {error.get("param") for error in body["errors"]}
    assert {"consent_terms", "age_confirmed"} <= fields
    assert not User.objects.filter(email="dana@example.org").exists()


def test_headless_signup_without_the_terms_is_refused_even_with_purposes() -> None:
    status, _ = signup(
        {
            "email": "dana@example.org",
            "password": PASSWORD,
            "age_confirmed": True,
            "consent_scoring": True,
        }
    )
    assert status == 400
    assert not User.objects.filter(email="dana@example.org").exists()


def test_headless_signup_with_the_consent_step_records_exactly_what_was_ticked(settings) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    status, body = signup(
        {
            "email": "dana@example.org",
            "password": PASSWORD,
            "age_confirmed": True,
            "consent_terms": True,
            "consent_scoring": True,
        }
    )
    assert status == 200, body
    member = User.objects.get(email="dana@example.org")
    granted = set(ConsentRecord.objects.filter(user=member).values_list("purpose", flat=True))
    assert granted == {Purpose.TERMS, Purpose.SCORING}
    assert body["meta"]["session_token"]


def test_headless_signin_gives_a_session_token_for_the_api(alice: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": alice.email, "password": PASSWORD},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["user"]["email"] == alice.email and body["meta"]["session_token"]
    token = body["meta"]["session_token"]
    me = Client().get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200 and me.json()["email"] == alice.email
    made = Client().post(
        "/api/v1/me/tokens",
        {"name": "cli", "scope": "read", "expires_in_days": 7},
        content_type="application/json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert made.status_code == 201 and made.json()["token"].startswith("inf_")
