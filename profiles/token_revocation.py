"""Revoking a member's sign-in and connection tokens at their provider, on account erasure.

The tokens are read inside the erasure transaction, kept in memory only, and revoked once
the deletion is committed, best effort: a provider that is down or refuses cannot stop an
erasure, and the tokens are deleted here either way.

- OpenID Connect issuers: RFC 7009 at the ``revocation_endpoint`` their discovery document
  names (issuers without one are skipped).
- GitHub: ``DELETE /applications/{client_id}/token`` with the app's credentials.
- Mastodon: ``POST /oauth/revoke`` on the member's instance, with the client we registered
  there (``MastodonApp``), through the session that refuses private addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialToken

log = logging.getLogger(__name__)

TIMEOUT = 5

# Providers whose credentials live outside allauth's SocialApp (Mastodon registers one
# client per instance) fill these from their AppConfig.ready(): reading a member's token
# with its client's credentials, and revoking it. A door for higher apps (profiles/hooks.py).
TOKEN_READERS: dict[str, Callable[[SocialToken], ProviderToken | None]] = {}
REVOKERS: dict[str, Callable[[ProviderToken], bool]] = {}


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


def token_revoke(token: ProviderToken) -> bool:
    """Ask the provider to revoke one token; True if it said yes. Never raises."""
    try:
        if token.kind == "github":
            return _revoke_github(token)
        if token.kind == "openid_connect":
            return _revoke_oidc(token)
        if token.kind in REVOKERS:
            return REVOKERS[token.kind](token)
    except (requests.RequestException, ValueError) as exc:
        log.warning("could not revoke a %s token: %s", token.provider, type(exc).__name__)
        return False
    return False


def _revoke_github(token: ProviderToken) -> bool:
    from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

    response = requests.delete(
        f"{GitHubOAuth2Adapter.api_url}/applications/{token.client_id}/token",
        auth=(token.client_id, token.secret),
        json={"access_token": token.token},
        headers={"Accept": "application/vnd.github+json"},
        timeout=TIMEOUT,
    )
    return response.status_code in (204, 404)  # 404: the token was already gone


def _revoke_oidc(token: ProviderToken) -> bool:
    server = str(token.settings.get("server_url", "")).rstrip("/")
    if not server:
        return False
    discovery = requests.get(f"{server}/.well-known/openid-configuration", timeout=TIMEOUT)
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
    return response.status_code == 200
