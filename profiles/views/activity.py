"""The member's own page of the audit log: what was done about them, and by whom."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from profiles.http import request_member
from profiles.models import AuditEntry, User
from profiles.selectors import audit_entries_about

PAGE_SIZE = 50


def audit_actor_label(*, entry: AuditEntry, member: User) -> str:
    """Who did it, in words that name no member of staff."""
    if entry.actor_id is None:
        return "Influence" if not entry.actor_ref else "A former member of staff"
    if entry.actor_id == member.pk:
        return "You"
    actor = entry.actor
    if actor is not None and actor.is_superuser:
        return "An administrator"
    if actor is not None and actor.is_staff:
        return "A moderator"
    return "Someone else"


@never_cache
@login_required
def account_activity(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    page = Paginator(audit_entries_about(member=member), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(entry, audit_actor_label(entry=entry, member=member)) for entry in page]
    return render(request, "profiles/audit.html", {"page": page, "rows": rows})
