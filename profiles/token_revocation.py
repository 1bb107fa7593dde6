"""Revoking a member's sign-in and connection tokens at their provider, on account erasure.

The tokens are read inside the erasure transaction and, once the deletion is committed,
each is handed to a Celery task (``profiles.tasks.provider_token_revoke``) sealed: encrypted
and authenticated with a key derived from ``SECRET_KEY`` (Fernet), so the broker, its
dumps and the task's logged arguments never hold a token or a client secret in clear. The
task needs nothing but the sealed token (the member's row is gone by then). A provider
that is down or answers 5xx/429 raises ``RevocationPending``, and the task retries with
exponential backoff; any other failure (a refused host, a malformed reply) is logged by
type only and given up. Nothing here can reach the member's deletion.

- OpenID Connect issuers: RFC 7009 at the ``revocation_endpoint`` their discovery document
  names (issuers without one are skipped).
- GitHub: ``DELETE /applications/{client_id}/token`` with the app's credentials.
- Mastodon: ``POST /oauth/revoke`` on the member's instance, with the client we registered
  there (``MastodonApp``), through the session that refuses private addresses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialToken
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

log = logging.getLogger(__name__)

TIMEOUT = 5

# Providers whose credentials live outside allauth's SocialApp (Mastodon registers one
# client per instance) fill these from their AppConfig.ready(): reading a member's token
# with its client's credentials, and revoking it. A door for higher apps (profiles/hooks.py).
TOKEN_READERS: dict[str, Callable[[SocialToken], ProviderToken | None]] = {}
REVOKERS: dict[str, Callable[[ProviderToken], bool]] = {}


class RevocationPending(Exception):
    """The provider could not answer now (network failure, 5xx, 429): try again later."""


@dataclass(frozen=True)
class ProviderToken:
    kind: str  # allauth's provider class: "github", "openid_connect", ...
    provider: str  # the account's provider id
    token: str = field(repr=False)
    client_id: str
    secret: str = field(repr=False)
    settings: dict[str, Any]


def provider_tokens(*, user_id: int) -> list[ProviderToken]:
    """The member's tokens with the credentials of the app that issued each."""
    adapter = get_adapter()
    tokens = []
    for token in SocialToken.objects.filter(account__user_id=user_id).select_related(
        "account", "app"
    ):
        if token.account.provider in TOKEN_READERS:
            own = TOKEN_READERS[token.account.provider](token)
            if own is not None:
                tokens.append(own)
            continue
        app = token.app
        if app is None:
            apps = adapter.list_apps(None, provider=token.account.provider)  # type: ignore[arg-type]
            app = apps[0] if apps else None
        if app is None or not token.token:
            continue
        tokens.append(
            ProviderToken(
                kind=app.provider,
                provider=token.account.provider,
                token=token.token,
                client_id=app.client_id,
                secret=app.secret,
                settings=dict(app.settings or {}),
            )
        )
    return tokens


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"influence.token_revocation:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def token_seal(token: ProviderToken) -> str:
    """The token and its client's credentials, encrypted for the task's message."""
    return _fernet().encrypt(json.dumps(asdict(token)).encode()).decode()


def token_unseal(sealed: str) -> ProviderToken:
    """The token back from `token_seal`; ValueError if it was not sealed with our key."""
    try:
        data = json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        raise ValueError("not a sealed provider token") from None
    return ProviderToken(**data)


def token_revoke(token: ProviderToken) -> bool:
    """Ask the provider to revoke one token; True if it said yes, False if it said no or
    cannot be asked. Raises RevocationPending (only) when asking again later may help."""
    try:
        if token.kind == "github":
            return _revoke_github(token)
        if token.kind == "openid_connect":
            return _revoke_oidc(token)
        if token.kind in REVOKERS:
            return REVOKERS[token.kind](token)
    except RevocationPending:
        raise
    except requests.RequestException as exc:
        log.warning("revoking a %s token failed: %s", token.provider, type(exc).__name__)
        raise RevocationPending(type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001 - a refused host, a bad reply: never retried
        log.warning("could not revoke a %s token: %s", token.provider, type(exc).__name__)
        return False
    return False


def _pending_if_transient(status: int) -> None:
    if status == 429 or status >= 500:
        raise RevocationPending(f"HTTP {status}")


def _revoke_github(token: ProviderToken) -> bool:
    from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

    response = requests.delete(
        f"{GitHubOAuth2Adapter.api_url}/applications/{token.client_id}/token",
        auth=(token.client_id, token.secret),
        json={"access_token": token.token},
        headers={"Accept": "application/vnd.github+json"},
        timeout=TIMEOUT,
    )
    _pending_if_transient(response.status_code)
    return response.status_code in (204, 404)  # 404: the token was already gone


def _revoke_oidc(token: ProviderToken) -> bool:
    server = str(token.settings.get("server_url", "")).rstrip("/")
    if not server:
        return False
    discovery = requests.get(f"{server}/.well-known/openid-configuration", timeout=TIMEOUT)
    _pending_if_transient(discovery.status_code)
    discovery.raise_for_status()
    endpoint = discovery.json().get("revocation_endpoint")
    if not endpoint:
        return False
    response = requests.post(
        endpoint,
        data={"token": token.token, "token_type_hint": "access_token"},
        auth=(token.client_id, token.secret),
        timeout=TIMEOUT,
    )
    _pending_if_transient(response.status_code)
    return response.status_code == 200
