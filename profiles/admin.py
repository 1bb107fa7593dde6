from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest

from profiles.models import AuditEntry, ConsentRecord, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email"]
    # The handle is the member's own choice (invariant 1): nobody sets one for them.
    readonly_fields = ["email", "handle", "date_joined", "last_login"]
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


# No shadow profiles (invariant 1) through allauth's admin pages either: an email address,
# a provider account or a token added or moved by staff would attach an identity to a
# member who never claimed it, or reserve it against its real owner. Staff may still
# delete one (a compromised connection, say).
def _without_add_or_change(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    class Locked(admin_class):  # type: ignore[valid-type,misc]
        def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

    Locked.__name__ = Locked.__qualname__ = f"Locked{admin_class.__name__}"
    return Locked


for _label in (
    "account.EmailAddress",
    "socialaccount.SocialAccount",
    "socialaccount.SocialToken",
    "mfa.Authenticator",
):
    _model = apps.get_model(_label)
    if admin.site.is_registered(_model):
        _current = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(_model, _without_add_or_change(_current))
