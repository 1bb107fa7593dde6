"""Admin pages for django-oauth-toolkit's tables: look, never add or change.

Third-party apps are registered with ``manage.py api_app_register`` (docs/api.md); tokens
are issued only by members authorising an app, and revoked by them or by withdrawing
``api_access``. Staff may delete a token or an app (that revokes it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from oauth2_provider import admin as dot_admin


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApplicationAdmin(_ReadOnly, dot_admin.ApplicationAdmin):
    pass


class AccessTokenAdmin(_ReadOnly, dot_admin.AccessTokenAdmin):
    pass


class RefreshTokenAdmin(_ReadOnly, dot_admin.RefreshTokenAdmin):
    pass


class GrantAdmin(_ReadOnly, dot_admin.GrantAdmin):
    pass


class IDTokenAdmin(_ReadOnly, dot_admin.IDTokenAdmin):
    pass
