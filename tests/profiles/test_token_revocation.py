"""Erasure revokes the member's tokens at their provider (the outside world, mocked as
documented: GitHub's REST API and RFC 7009 behind OpenID Connect discovery)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken
from celery.exceptions import Retry

from profiles.models import User
from profiles.services.erasure import account_erase
from tests.security.conftest import revocations_run

pytestmark = pytest.mark.django_db

ISSUER = "https://sso.example.org/realms/main"


@pytest.fixture
def providers(settings) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": "gh-client", "secret": "gh-secret"}]},
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "corp",
                    "name": "Corp SSO",
                    "client_id": "corp-client",
                    "secret": "corp-secret",
                    "settings": {"server_url": ISSUER},
                }
            ]
        },
    }


def connect(user: User, provider: str, token: str) -> None:
    account = SocialAccount.objects.create(user=user, provider=provider, uid=f"{provider}-1")
    SocialToken.objects.create(account=account, token=token)


@responses.activate
def test_erasure_revokes_a_github_token_at_github(
    alice: User, providers: None, django_capture_on_commit_callbacks, unconsumed_queue: str
) -> None:
    revoke = responses.delete("https://api.github.com/applications/gh-client/token", status=204)
    connect(alice, "github", "gho_alices_token")
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=alice)
    assert revocations_run(unconsumed_queue) == [True]  # the worker's part, run here
    assert revoke.call_count == 1
    request = revoke.calls[0].request
    assert json.loads(request.body) == {"access_token": "gho_alices_token"}
    assert request.headers["Authorization"].startswith("Basic ")
    assert not SocialToken.objects.exists()


@responses.activate
def test_erasure_revokes_an_openid_connect_token_at_the_issuers_revocation_endpoint(
    alice: User, providers: None, django_capture_on_commit_callbacks, unconsumed_queue: str
) -> None:
    responses.get(
        f"{ISSUER}/.well-known/openid-configuration",
        json={"issuer": ISSUER, "revocation_endpoint": f"{ISSUER}/protocol/revoke"},
    )
    revoke = responses.post(f"{ISSUER}/protocol/revoke", status=200)
    connect(alice, "corp", "oidc-access-token")
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=alice)
    assert revocations_run(unconsumed_queue) == [True]
    assert revoke.call_count == 1
    body = parse_qs(revoke.calls[0].request.body)
    assert body == {"token": ["oidc-access-token"], "token_type_hint": ["access_token"]}


@responses.activate
def test_an_issuer_without_a_revocation_endpoint_is_not_asked(
    alice: User, providers: None, django_capture_on_commit_callbacks, unconsumed_queue: str
) -> None:
    responses.get(f"{ISSUER}/.well-known/openid-configuration", json={"issuer": ISSUER})
    connect(alice, "corp", "oidc-access-token")
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=alice)
    assert revocations_run(unconsumed_queue) == [False]
    assert len(responses.calls) == 1  # discovery only
    assert not SocialToken.objects.exists()


@responses.activate
def test_a_provider_that_is_down_does_not_stop_the_erasure(
    alice: User,
    providers: None,
    mailoutbox,
    django_capture_on_commit_callbacks,
    unconsumed_queue: str,
) -> None:
    responses.delete(
        "https://api.github.com/applications/gh-client/token",
        body=requests.ConnectionError("unreachable"),
    )
    connect(alice, "github", "gho_alices_token")
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=alice)
    with pytest.raises(Retry):  # the task asks to run again later, with backoff
        revocations_run(unconsumed_queue)
    assert not User.objects.filter(email="alice@example.org").exists()
    assert not SocialToken.objects.exists()
    assert len(mailoutbox) == 1  # the confirmation still goes out


def test_the_backoff_doubles_and_is_capped(settings) -> None:
    from profiles.tasks import revoke_backoff

    settings.TOKEN_REVOKE_BACKOFF_SECONDS = 60
    waits = [revoke_backoff(n) for n in range(12)]
    assert 60 <= waits[0] <= 75 and 120 <= waits[1] <= 150 and 480 <= waits[3] <= 600
    assert max(waits) <= 6 * 3600 * 1.25


def test_a_sealed_token_holds_no_secret_in_clear_and_refuses_tampering() -> None:
    from profiles.token_revocation import ProviderToken, token_seal, token_unseal

    token = ProviderToken(
        kind="github", provider="github", token="gho_x1", client_id="c", secret="s3cret",
        settings={},
    )  # fmt: skip
    sealed = token_seal(token)
    assert "gho_x1" not in sealed and "s3cret" not in sealed
    assert token_unseal(sealed) == token
    with pytest.raises(ValueError):
        token_unseal(sealed[:-4] + "AAAA")
