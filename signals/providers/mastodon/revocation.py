"""Reading and revoking a member's Mastodon token, for erasure (profiles.token_revocation)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialToken

from profiles.token_revocation import TIMEOUT, ProviderToken, RevocationPending
from signals.connectors.http import public_session
from signals.providers.mastodon.models import MastodonApp


def mastodon_token(token: SocialToken) -> ProviderToken | None:
    """A Mastodon token with the credentials of our client on the member's instance.

    The account's uid is ``<account id>@<instance>``; the client is the one registered there.
    """
    instance = str(token.account.uid).rpartition("@")[2]
    app = MastodonApp.objects.filter(domain=instance).order_by("-created_at").first()
    if app is None or not token.token:
        return None
    return ProviderToken(
        kind="mastodon",
        provider="mastodon",
        token=token.token,
        client_id=app.client_id,
        secret=app.client_secret,
        settings={"instance": instance},
    )


def mastodon_token_revoke(token: ProviderToken) -> bool:
    response = public_session().post(
        f"https://{token.settings['instance']}/oauth/revoke",
        data={"client_id": token.client_id, "client_secret": token.secret, "token": token.token},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    if response.status_code == 429 or response.status_code >= 500:
        raise RevocationPending(f"HTTP {response.status_code}")
    return response.status_code == 200
