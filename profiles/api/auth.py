"""Who is calling, and what their credentials allow.

- ``PersonalTokenAuthentication``: ``Authorization: Bearer inf_…``, a member's own token.
  Unknown, revoked or expired is a 401.
- ``ThirdPartyAuthentication``: an OAuth 2 access token of an app the member authorised
  (django-oauth-toolkit), honoured only while the member grants ``api_access``.
- The browser session (DRF's ``SessionAuthentication``), CSRF enforced.

``MemberAccess`` then checks the scope: a ``read`` token and a third-party app may only
read; a third-party app reads only the endpoints marked ``third_party = True`` (the score
and approved topics, what the ``api_access`` text promises).
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AbstractAccessToken
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from profiles.models import PersonalAccessToken, User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from profiles.services.api_tokens import TOKEN_PREFIX, api_token_authenticate

REALM = 'Bearer realm="influence"'


class PersonalTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, PersonalAccessToken] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            # Credentials we cannot read are refused, never ignored in favour of a session.
            raise exceptions.AuthenticationFailed("Send Authorization: Bearer <token>.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        if not secret.startswith(TOKEN_PREFIX):
            return None  # an OAuth 2 token, for ThirdPartyAuthentication
        token = api_token_authenticate(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is unknown, revoked or expired.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return REALM


class ThirdPartyAuthentication(OAuth2Authentication):
    www_authenticate_realm = "influence"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is None:
            if get_authorization_header(request).lower().startswith(b"bearer "):
                # A bearer token that no one issued (or one revoked): say so, do not fall
                # through to the session.
                raise exceptions.AuthenticationFailed("The token is unknown, revoked or expired.")
            return None
        user, token = found
        if not has_active_consent(user_id=user.pk, purpose=Purpose.API_ACCESS):
            raise exceptions.AuthenticationFailed(
                "The member does not allow third-party apps (consent `api_access`)."
            )
        return user, token


def is_third_party(request: Request) -> bool:
    return isinstance(request.auth, AbstractAccessToken)


class MemberAccess(BasePermission):
    """Signed in, and the credentials allow this method on this endpoint."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated("Sign in, or send a token: Authorization: Bearer …")
        auth = request.auth
        safe = request.method in SAFE_METHODS
        if isinstance(auth, PersonalAccessToken):
            if not safe and not auth.can_write:
                raise exceptions.PermissionDenied("This token has the read scope only.")
            if getattr(view, "session_only", False) and not safe:
                raise exceptions.PermissionDenied(
                    "Tokens are made in the browser session, not with another token."
                )
        elif isinstance(auth, AbstractAccessToken):
            if not safe or not getattr(view, "third_party", False):
                raise exceptions.PermissionDenied(
                    "Third-party apps can read only the score and approved topics."
                )
        return True
