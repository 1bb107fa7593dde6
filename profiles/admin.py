from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from profiles.models import AuditEntry, ConsentRecord, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email"]
    readonly_fields = ["email", "date_joined", "last_login"]
    exclude = ["password", "user_permissions"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # No shadow profiles (invariant 1): members only ever sign up themselves.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deletion is the member's own erasure (profiles.services.erasure), never a bare
        # row delete that would leave their files, tokens and sessions behind.
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "purpose", "granted", "policy_version", "method", "created_at"]
    list_filter = ["purpose", "granted", "method"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "subject", "actor", "subject_ref"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
