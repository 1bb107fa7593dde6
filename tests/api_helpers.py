"""Builders for API tests: third-party apps and their tokens, personal tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from profiles.models import PersonalAccessToken, User
from profiles.services.api_tokens import api_token_create


def oauth_token_for(
    member: User,
    *,
    developer: User | None = None,
    with_refresh: bool = False,
    with_grant: bool = False,
    with_id: bool = False,
    name: str = "Score widget",
) -> tuple[Any, str]:
    """An app the member authorised, holding an access token; returns (app, raw token).

    Built as django-oauth-toolkit stores what its authorization-code flow issues.
    """
    from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

    app = Application.objects.create(
        name=name,
        user=developer,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://widget.example/callback",
    )
    raw = secrets.token_urlsafe(30)
    id_token = None
    if with_id:
        id_token = IDToken.objects.create(
            user=member, application=app, expires=timezone.now() + timedelta(hours=1)
        )
    access = AccessToken.objects.create(
        user=member,
        application=app,
        token=raw,
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
        id_token=id_token,
    )
    if with_refresh:
        RefreshToken.objects.create(
            user=member, application=app, token=secrets.token_urlsafe(30), access_token=access
        )
    if with_grant:
        Grant.objects.create(
            user=member,
            application=app,
            code=secrets.token_urlsafe(20),
            expires=timezone.now() + timedelta(minutes=1),
            redirect_uri="https://widget.example/callback",
            scope="read",
        )
    return app, raw


def personal_token(member: User, *, scope: str = "write", days: int = 30) -> str:
    return api_token_create(
        user=member, name=f"{scope} token", scope=scope, expires_in_days=days
    ).secret


def expired_token(member: User) -> str:
    secret = personal_token(member, scope="write")
    PersonalAccessToken.objects.filter(user=member).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    return secret


def bearer(secret: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
