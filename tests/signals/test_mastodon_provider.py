"""The Mastodon allauth provider: app registration per instance, then the OAuth flow.

Only the instance is mocked (`responses`), with replies shaped like docs.joinmastodon.org
and the recorded fixtures of the connector tests; everything else runs through Django's
test client, allauth and the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.test import Client
from django.urls import reverse
from responses import matchers

from profiles.models import ConsentRecord, User
from profiles.purposes import Purpose
from signals.models import Source, SyncStatus
from signals.providers.mastodon.models import MastodonApp
from tests.signals.connectors.conftest import load

pytestmark = pytest.mark.django_db

INSTANCE = "https://mastodon.example"
CLIENT_ID = "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM"
CLIENT_SECRET = "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"
TOKEN = {
    "access_token": "masto_test",
    "token_type": "Bearer",
    "scope": "read",
    "created_at": 1793404800,
}


def redirect_uri() -> str:
    return settings.SITE_URL + "/accounts/mastodon/login/callback/"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def add_registration(rsps: responses.RequestsMock, **kwargs: Any) -> None:
    rsps.post(
        f"{INSTANCE}/api/v1/apps",
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "client_name": "Influence",
                    "redirect_uris": redirect_uri(),
                    "scopes": "read",
                    "website": settings.SITE_URL,
                }
            )
        ],
        **(kwargs or {"json": load("mastodon_app.json")}),
    )


def add_token_and_me(rsps: responses.RequestsMock, code: str = "the-code") -> None:
    rsps.post(
        f"{INSTANCE}/oauth/token",
        json=TOKEN,
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uri": redirect_uri(),
                    "scope": "read",
                }
            )
        ],
    )
    rsps.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        json=load("mastodon_verify_credentials.json"),
        match=[matchers.header_matcher({"Authorization": "Bearer masto_test"})],
    )


def authorize_query(location: str) -> dict[str, list[str]]:
    """The query of a redirect to the instance's authorize page (and that it is one)."""
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{INSTANCE}/oauth/authorize"
    return parse_qs(url.query)


def test_connecting_registers_the_app_then_redirects_to_authorize_with_its_client(
    client: Client, alice: User, mocked: responses.RequestsMock
) -> None:
    client.force_login(alice)
    add_registration(mocked)

    response = client.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "@alice@Mastodon.Example"}
    )

    assert response.status_code == 302
    query = authorize_query(response["Location"])
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [redirect_uri()]
    assert query["scope"] == ["read"]
    assert query["response_type"] == ["code"]
    assert query["state"][0]
    app = MastodonApp.objects.get()
    assert (app.domain, app.client_id, app.client_secret) == (
        "mastodon.example",
        CLIENT_ID,
        CLIENT_SECRET,
    )


def test_the_callback_exchanges_the_code_and_connects_a_verified_source(
    client: Client, alice: User, mocked: responses.RequestsMock, django_capture_on_commit_callbacks
) -> None:
    client.force_login(alice)
    add_registration(mocked)
    started = client.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"}
    )
    state = authorize_query(started["Location"])["state"][0]
    add_token_and_me(mocked)

    callback = client.get(reverse("mastodon_callback"), {"code": "the-code", "state": state})
    assert callback.status_code == 302
    assert callback["Location"] == reverse("source_connected", args=["mastodon"])
    with django_capture_on_commit_callbacks() as callbacks:
        finished = client.get(callback["Location"], follow=True)

    account = SocialAccount.objects.get(user=alice, provider="mastodon")
    assert account.uid == "14715@mastodon.example"
    assert account.extra_data["handle"] == "alice@mastodon.example"
    assert "note" not in account.extra_data  # only what identifies the account is kept
    assert SocialToken.objects.get(account=account).token == "masto_test"
    source = Source.objects.get(user=alice)
    assert source.verified is True
    assert (source.kind, source.handle) == ("mastodon", "alice@mastodon.example")
    assert source.social_account == account
    assert source.sync_status == SyncStatus.QUEUED
    assert len(callbacks) == 1  # the first sync, enqueued on commit
    assert "alice@mastodon.example is connected" in finished.content.decode()


def test_a_second_member_on_the_same_instance_reuses_the_registration(
    client: Client, alice: User, mallory: User, mocked: responses.RequestsMock
) -> None:
    add_registration(mocked)
    client.force_login(alice)
    client.post(reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"})

    other = Client()
    other.force_login(mallory)
    response = other.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "https://mastodon.example/"}
    )

    assert authorize_query(response["Location"])["client_id"] == [CLIENT_ID]
    assert len(mocked.calls) == 1
    assert MastodonApp.objects.count() == 1


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 422, "json": load("mastodon_app_invalid.json")},
        {"status": 200, "body": "<!DOCTYPE html><html><body>Just a blog</body></html>"},
    ],
)
def test_an_instance_that_refuses_registration_is_explained_and_nothing_is_stored(
    client: Client, alice: User, mocked: responses.RequestsMock, reply: dict[str, Any]
) -> None:
    client.force_login(alice)
    add_registration(mocked, **reply)

    response = client.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"}
    )

    assert response.status_code == 400
    assert "mastodon.example didn&#x27;t accept Influence as an app" in response.content.decode()
    assert not MastodonApp.objects.exists()
    assert not Source.objects.exists()


def test_a_private_address_is_refused_before_any_request(
    client: Client, alice: User, mocked: responses.RequestsMock
) -> None:
    client.force_login(alice)

    response = client.post(reverse("source_connect", args=["mastodon"]), {"instance": "localhost"})

    assert response.status_code == 400
    assert "only connect to public servers" in response.content.decode()
    assert len(mocked.calls) == 0


def test_connecting_without_scoring_consent_is_refused_before_leaving_the_site(
    client: Client, bob: User, mocked: responses.RequestsMock
) -> None:
    client.force_login(bob)

    response = client.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"}, follow=True
    )

    assert "needs your consent to “Score my activity”" in response.content.decode()
    assert len(mocked.calls) == 0
    assert not MastodonApp.objects.exists()


def test_a_callback_with_a_state_this_browser_never_sent_is_refused_without_a_request(
    client: Client, alice: User, mocked: responses.RequestsMock
) -> None:
    client.force_login(alice)
    add_registration(mocked)
    client.post(reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"})

    response = client.get(reverse("mastodon_callback"), {"code": "c", "state": "forged"})

    assert response.status_code == 401  # allauth's authentication error page
    assert len(mocked.calls) == 1  # the registration only: no token exchange
    assert not SocialAccount.objects.exists()


def test_a_refused_token_exchange_connects_nothing(
    client: Client, alice: User, mocked: responses.RequestsMock
) -> None:
    client.force_login(alice)
    add_registration(mocked)
    started = client.post(
        reverse("source_connect", args=["mastodon"]), {"instance": "mastodon.example"}
    )
    state = authorize_query(started["Location"])["state"][0]
    mocked.post(
        f"{INSTANCE}/oauth/token",
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, "
            "revoked, does not match the redirection URI used in the authorization request, "
            "or was issued to another client.",
        },
    )

    response = client.get(reverse("mastodon_callback"), {"code": "stale", "state": state})

    assert response.status_code == 401
    assert not SocialAccount.objects.exists()
    assert not Source.objects.exists()


def test_signing_in_with_mastodon_stops_at_the_consent_step_and_creates_no_member(
    client: Client, mocked: responses.RequestsMock
) -> None:
    form = client.get(reverse("mastodon_login"))
    assert form.status_code == 200
    assert 'name="instance"' in form.content.decode()
    add_registration(mocked)

    started = client.post(reverse("mastodon_login"), {"instance": "mastodon.example"})
    state = authorize_query(started["Location"])["state"][0]
    add_token_and_me(mocked)
    callback = client.get(reverse("mastodon_callback"), {"code": "the-code", "state": state})

    assert callback.status_code == 302
    assert callback["Location"] == reverse("socialaccount_signup")
    page = client.get(callback["Location"]).content.decode()
    for purpose in Purpose:
        assert f'name="consent_{purpose}"' in page
    assert "checked" not in page
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_completing_the_consent_step_creates_the_member_with_the_mastodon_account(
    client: Client, mocked: responses.RequestsMock
) -> None:
    add_registration(mocked)
    started = client.post(reverse("mastodon_login"), {"instance": "mastodon.example"})
    state = authorize_query(started["Location"])["state"][0]
    add_token_and_me(mocked)
    client.get(reverse("mastodon_callback"), {"code": "the-code", "state": state})

    response = client.post(
        reverse("socialaccount_signup"),
        {
            "email": "alice@example.org",
            "age_confirmed": "on",
            "consent_terms": "on",
            "consent_scoring": "on",
        },
    )

    assert response.status_code == 302
    member = User.objects.get(email="alice@example.org")
    assert SocialAccount.objects.get(user=member).uid == "14715@mastodon.example"
    granted = set(ConsentRecord.objects.filter(user=member).values_list("purpose", flat=True))
    assert granted == {Purpose.TERMS, Purpose.SCORING}
    # Signing in is not connecting: the account becomes a source only when asked to.
    assert not Source.objects.exists()


def test_the_sign_in_page_offers_mastodon(client: Client) -> None:
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("mastodon_login") in page
