"""The member's notifications: the list, marking read, and which come by email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from profiles.http import request_member
from profiles.models import NotificationKind
from profiles.selectors import (
    member_notifications,
    notification_email_kinds,
    notifications_unread_count,
)
from profiles.services.notifications import (
    NotificationError,
    notification_email_choices_set,
    notifications_mark_read,
)

PER_PAGE = 25


@login_required
def notifications(request: HttpRequest, error: str = "") -> HttpResponse:
    member = request_member(request)
    page = Paginator(member_notifications(member=member), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "profiles/notifications.html",
        {
            "member": member,
            "page": page,
            "unread": notifications_unread_count(member=member),
            "kinds": NotificationKind.choices,
            "email_kinds": notification_email_kinds(member=member),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    raw = request.POST.get("id")
    if raw is None:
        notifications_mark_read(member=member)
    elif raw.isdigit():
        notifications_mark_read(member=member, ids=[int(raw)])
    else:
        return notifications(request, error="No such notification.")
    return redirect("notifications")


@login_required
@require_POST
def notifications_email(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    try:
        notification_email_choices_set(member=member, kinds=request.POST.getlist("kind"))
    except NotificationError as exc:
        return notifications(request, error=str(exc))
    messages.success(request, "Your email choices are saved.")
    return redirect("notifications")
