"""Personal access tokens and third-party (OAuth 2) grants: issue, use, revoke.

A personal token is ``inf_`` and 43 random characters; only its SHA-256 is stored, so it
is shown once, when made. Third-party tokens are django-oauth-toolkit's; a member revokes
one app's, and withdrawing ``api_access`` revokes them all in the withdrawing transaction
(the revoker below is registered with ``profiles.services.api_access``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from profiles.models import PersonalAccessToken, TokenScope, User
from profiles.services.api_access import api_access_revoker

TOKEN_PREFIX = "inf_"
# Writing last use on every call would make every read a write; once a minute is enough
# for "last used" shown to the member.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(Exception):
    """A token that cannot be made or changed; the message is for the member."""


@dataclass(frozen=True)
class NewToken:
    token: PersonalAccessToken
    secret: str  # shown once; never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, scope: str, expires_in_days: int) -> NewToken:
    """Make a personal access token; the secret is returned once and only its hash kept."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenRefused("Name the token (up to 80 characters), so you can recognise it.")
    if scope not in TokenScope.values:
        raise TokenRefused("Choose the scope read or write.")
    if not 1 <= expires_in_days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenRefused(f"A token expires after 1 to {settings.API_TOKEN_MAX_DAYS} days.")
    member = User.objects.select_for_update().get(pk=user.pk)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=member,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_sha256=token_digest(secret),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    """Revoke one of the member's tokens (again is a no-op); someone else's is refused."""
    token = PersonalAccessToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise TokenRefused("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> PersonalAccessToken | None:
    """The usable token with this secret, its use noted; None if unknown, revoked or expired."""
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_sha256=token_digest(secret))
        .first()
    )
    if token is None or not token.usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Third-party apps (OAuth 2, django-oauth-toolkit) -------------------------------------


@transaction.atomic
def oauth_app_revoke(*, user: User, application_id: int) -> int:
    """Revoke every token and grant one app holds for the member; returns how many."""
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_refresh_token_model,
    )

    count = 0
    for model in (get_refresh_token_model(), get_access_token_model(), get_grant_model()):
        deleted, _ = model.objects.filter(user=user, application_id=application_id).delete()
        count += deleted
    if count == 0:
        raise TokenRefused("No such app.")
    return count


@api_access_revoker
def oauth_tokens_revoke_all(*, user_id: int) -> int:
    """Withdrawal of ``api_access``: every third-party token and grant of the member goes."""
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_id_token_model,
        get_refresh_token_model,
    )

    count = 0
    for model in (
        get_refresh_token_model(),
        get_access_token_model(),
        get_id_token_model(),
        get_grant_model(),
    ):
        deleted, _ = model.objects.filter(user_id=user_id).delete()
        count += deleted
    return count
