from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from profiles.http import request_member
from scoring.models import DeniedTopic, GamingFlag, ImportJob, Score
from scoring.services.topics import denied_topic_add, denied_topic_remove


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
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

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # the list, not editing an entry

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # removal is the audited action below

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = denied_topic_add(
            moderator=request_member(request), label=obj.label, reason=obj.reason
        )
        obj.pk = saved.pk

    @admin.action(description="Remove from the deny-list")
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[DeniedTopic]) -> None:
        for denied in queryset:
            denied_topic_remove(moderator=request_member(request), denied=denied)
