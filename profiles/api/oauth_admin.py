"""Admin pages for django-oauth-toolkit's tables: look, never add or change, and never see a
token, a grant's code or a client secret (issue 13, finding 10).

Third-party apps are registered with ``manage.py api_app_register`` (docs/api.md); tokens
are issued only by members authorising an app, and revoked by them or by withdrawing
``api_access``. Staff may delete a token or an app (that revokes it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    search_fields = ()
    list_filter = ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApplicationAdmin(_ReadOnly):
    list_display = ("name", "client_type", "authorization_grant_type", "created")
    fields = (
        "name", "client_id", "client_type", "authorization_grant_type", "redirect_uris",
        "skip_authorization", "created", "updated",
    )  # fmt: skip


class AccessTokenAdmin(_ReadOnly):
    list_display = ("user", "application", "scope", "expires")
    fields = ("user", "application", "scope", "expires", "created")


class RefreshTokenAdmin(_ReadOnly):
    list_display = ("user", "application", "revoked", "created")
    fields = ("user", "application", "revoked", "created")


class GrantAdmin(_ReadOnly):
    list_display = ("user", "application", "expires")
    fields = ("user", "application", "expires", "scope", "created")


class IDTokenAdmin(_ReadOnly):
    list_display = ("user", "application", "expires")
    fields = ("user", "application", "expires", "scope", "created")
