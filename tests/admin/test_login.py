"""The admin signs in through allauth only, and every staff account needs TOTP
(issue 13, finding 1; issue 11, MFA)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from profiles.models import User
from tests.admin.conftest import PASSWORD
from tests.conftest import MOD_TOTP_SECRET, totp_enrol

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def current_code(secret: str = MOD_TOTP_SECRET) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def test_the_admin_login_page_only_sends_people_to_allauth(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/moderation/dispute/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("account_login")
    assert target.query == "next=%2Fadmin%2Fmoderation%2Fdispute%2F"
    # A next pointing away from the site falls back to the admin's index.
    response = client.get("/admin/login/?next=https://evil.example/")
    assert "evil.example" not in response["Location"]


def test_a_superuser_with_totp_cannot_get_in_with_the_password_alone(
    client: Client, admin_member: User
) -> None:
    # The stock admin form used to sign in with the password alone.
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_member.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302 and not signed_in(client)
    assert client.get("/admin/").status_code == 302

    # allauth takes the password, then asks for the second factor before anything opens.
    response = client.post(
        reverse("account_login"), {"login": admin_member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)
    assert urlsplit(client.get("/admin/")["Location"]).path == "/admin/login/"
    assert client.get(reverse("dashboard")).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert response.status_code == 302 and signed_in(client)
    assert client.get("/admin/").status_code == 200


def test_forty_wrong_passwords_at_the_admin_login_sign_nobody_in_and_allauth_locks(
    client: Client, admin_member: User
) -> None:
    for _ in range(40):
        response = client.post("/admin/login/", {"username": admin_member.email, "password": "x"})
        assert response.status_code == 302
    assert not signed_in(client)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": admin_member.email, "password": "wrong"})
    # allauth's lockout: after five failures even the right password is refused a while.
    response = client.post(
        reverse("account_login"), {"login": admin_member.email, "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "mfa_authenticate" not in response.get("Location", "")
    assert not signed_in(client)


@pytest.mark.parametrize("path", ["/admin/", "/admin/moderation/dispute/", "/moderation/"])
def test_staff_without_totp_are_sent_to_set_it_up_first(
    client: Client, mod_without_mfa: User, path: str
) -> None:
    client.force_login(mod_without_mfa)
    response = client.get(path)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("mfa_activate_totp")
    assert target.query == f"next={path.replace('/', '%2F')}"
    # Their own member pages still open; only staff pages wait for TOTP.
    assert client.get(reverse("account_activity")).status_code == 200

    totp_enrol(mod_without_mfa)
    if path.startswith("/admin/"):
        assert client.get(path).status_code == 200


def test_a_superuser_without_totp_is_sent_to_set_it_up_too(
    client: Client, admin_member: User
) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=admin_member).delete()
    client.force_login(admin_member)
    response = client.get("/admin/profiles/user/")
    assert urlsplit(response["Location"]).path == reverse("mfa_activate_totp")
