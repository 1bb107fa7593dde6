from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from moderation.models import DeniedTopic, Dispute, DisputeStatus
from moderation.services.deny_list import denied_topic_add, denied_topic_remove
from moderation.services.disputes import DisputeRefused, dispute_resolve
from profiles.http import request_member
from scoring.models import GamingFlag, Score
from signals.models import ImportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen, never added, changed or deleted here: scores and imports change only through
    their services (a run, the member's own deletion), which keep files and audit right."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ["user", "value", "confidence", "model_version", "computed_at"]


@admin.register(GamingFlag)
class GamingFlagAdmin(ReadOnlyAdmin):
    """Moderators see each flag with its evidence; only the model raises or clears one."""

    list_display = ["user", "kind", "discount", "created_at"]
    list_filter = ["kind"]
    readonly_fields = ["user", "kind", "evidence", "discount", "run_id", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["user", "original_name", "status", "size", "created_at"]
    list_filter = ["status"]
    exclude = ["file"]


@admin.register(DeniedTopic)
class DeniedTopicAdmin(admin.ModelAdmin):
    """The global topic deny-list. Every addition and removal goes through an audited
    service; entries are not edited in place."""

    list_display = ["label", "reason", "created_at"]
    fields = ["label", "reason"]
    actions = ["remove_selected"]

    # Viewing and adding follow the real permissions (Django's defaults); nobody edits an
    # entry in place, and removal is the audited action below, for those who may delete.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("moderation.delete_deniedtopic"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = denied_topic_add(
            moderator=request_member(request), label=obj.label, reason=obj.reason
        )
        obj.pk = saved.pk

    @admin.action(description="Remove from the deny-list", permissions=["remove"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[DeniedTopic]) -> None:
        for denied in queryset:
            denied_topic_remove(moderator=request_member(request), denied=denied)


class DisputeResolutionForm(forms.ModelForm):  # type: ignore[type-arg]
    outcome = forms.ChoiceField(
        choices=[("upheld", "Uphold"), ("rejected", "Reject")],
        widget=forms.RadioSelect,
        help_text="Either way the member is rescored, and the decision is audited.",
    )

    class Meta:
        model = Dispute
        fields = ["resolution"]

    def clean_resolution(self) -> str:
        text = (self.cleaned_data.get("resolution") or "").strip()
        if not text:
            raise forms.ValidationError("Write the resolution the member will read.")
        return text


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """The moderation queue: open disputes first. Resolving one goes through the audited
    service, which rescores the member; a resolved dispute is read-only."""

    list_display = ["created_at", "user", "subject", "detail", "status", "resolved_by"]
    list_filter = ["status", "subject"]
    ordering = ["created_at"]
    readonly_fields = ["user", "subject", "detail", "reason", "created_at"]
    form = DisputeResolutionForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != DisputeStatus.OPEN:
            return [*self.readonly_fields, "status", "resolution", "resolved_by", "resolved_at"]
        return [*self.readonly_fields, "outcome", "resolution"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An answered dispute is shown, never changed: Django renders it read-only and
        # refuses a post to it.
        if obj is not None and obj.status != DisputeStatus.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members open disputes; moderators answer them

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            dispute_resolve(
                moderator=request_member(request),
                dispute_id=obj.pk,
                upheld=form.cleaned_data["outcome"] == "upheld",
                resolution=form.cleaned_data["resolution"],
            )
        except DisputeRefused as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
