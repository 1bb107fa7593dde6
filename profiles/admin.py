from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from profiles.http import request_member
from profiles.models import AuditEntry, ConsentRecord, User
from profiles.selectors import audit_entries_between
from profiles.services.audit import audit_log_exported

# Staff roles, group membership and permissions change only through the audited
# `grant_staff` service (issue 9, issue 13 finding 2): the admin shows them read-only.
STAFF_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email"]
    # The handle is the member's own choice (invariant 1): nobody sets one for them.
    fields = [
        "email", "handle", "display_name", "is_active", *STAFF_FIELDS, "date_joined", "last_login",
    ]  # fmt: skip
    readonly_fields = ["email", "handle", *STAFF_FIELDS, "date_joined", "last_login"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # No shadow profiles (invariant 1): members only ever sign up themselves.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deletion is the member's own erasure (profiles.services.erasure), never a bare
        # row delete that would leave their files, tokens and sessions behind.
        return False


class ReadOnlyGroupAdmin(admin.ModelAdmin):
    """Groups and their permissions come from migrations (the Moderators group); members
    join one only through `grant_staff`."""

    list_display = ["name"]
    fields = ["name", "permissions"]
    readonly_fields = ["name", "permissions"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, ReadOnlyGroupAdmin)


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


class AuditExportForm(forms.Form):
    since = forms.DateField(
        label="From (first day)", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(label="To (last day)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError("The last day comes before the first.")
        return data


# Spreadsheets run a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def audit_csv_rows(entries: Iterable[AuditEntry]) -> Iterable[list[str]]:
    yield ["id", "at", "action", "action_label", "subject_ref", "actor_ref", "reason", "detail"]
    for entry in entries:
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        yield [
            csv_cell(v)
            for v in (
                entry.pk,
                entry.at.isoformat(),
                entry.action,
                entry.get_action_display(),
                entry.subject_ref,
                entry.actor_ref,
                detail.get("reason", ""),
                json.dumps(detail, sort_keys=True, ensure_ascii=False),
            )
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The append-only audit log: read, filtered by action, exported by admins as CSV."""

    list_display = ["at", "action", "subject", "actor", "subject_ref"]
    list_filter = ["action"]
    change_list_template = "profiles/admin_audit_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="profiles_auditentry_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """A date range of the log as CSV, for superusers; the export is itself audited."""
        if not request.user.is_superuser:
            raise PermissionDenied
        form = AuditExportForm(request.GET or None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "form": form,
                "opts": self.opts,
                "title": "Export the audit log",
            }
            status = 400 if request.GET else 200
            return TemplateResponse(
                request, "profiles/admin_audit_export.html", context, status=status
            )
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        entries = list(audit_entries_between(since=since, until=until))
        audit_log_exported(
            actor=request_member(request), since=since, until=until, rows=len(entries)
        )
        writer = csv.writer(_Echo())
        body = "".join(writer.writerow(row) for row in audit_csv_rows(entries))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="audit-{since.isoformat()}-{until.isoformat()}.csv"'
        )
        return response


# No shadow profiles (invariant 1) through allauth's admin pages either: an email address,
# a provider account or an authenticator added or moved by staff would attach an identity
# to a member who never claimed it, or reserve it against its real owner. Staff may still
# delete one (a compromised connection, say). Secrets never show (issue 13, finding 10):
# OAuth tokens have no admin page at all, and no page shows a client secret, a provider
# key or an authenticator's secret.
def _locked(admin_class: type[admin.ModelAdmin], hidden: list[str]) -> type[admin.ModelAdmin]:
    class Locked(admin_class):  # type: ignore[valid-type,misc]
        exclude = hidden or None
        list_display = [f for f in admin_class.list_display if f not in hidden]

        def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

    Locked.__name__ = Locked.__qualname__ = f"Locked{admin_class.__name__}"
    return Locked


HIDDEN_FIELDS: dict[str, list[str]] = {
    "account.EmailAddress": [],
    "socialaccount.SocialAccount": [],
    "socialaccount.SocialApp": ["secret", "key", "settings"],
    "mfa.Authenticator": ["data"],
    "usersessions.UserSession": [],
}

for _label, _hidden in HIDDEN_FIELDS.items():
    _model = apps.get_model(_label)
    if admin.site.is_registered(_model):
        _current = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(_model, _locked(_current, _hidden))

_tokens = apps.get_model("socialaccount.SocialToken")
if admin.site.is_registered(_tokens):
    admin.site.unregister(_tokens)
