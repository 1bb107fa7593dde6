from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from signals.providers.mastodon.models import MastodonApp


@admin.register(MastodonApp)
class MastodonAppAdmin(admin.ModelAdmin):
    """Registrations can be deleted (the next sign-in registers again), never edited."""

    list_display = ["domain", "scopes", "redirect_uri", "created_at"]
    search_fields = ["domain"]
    exclude = ["client_secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
