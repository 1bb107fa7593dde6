"""The member's own account: sign-in settings, export their data (Art. 15 and 20), delete
the account (Art. 17)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from profiles.forms import AccountDeleteForm
from profiles.http import request_member
from profiles.registry import HOLDINGS
from profiles.selectors import (
    account_settings_for_member,
    data_export_download,
    data_export_for_member,
    latest_data_export,
)
from profiles.services.erasure import account_erase
from profiles.services.exports import data_export_downloaded, data_export_request


@never_cache
@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    """The export page: start one, watch its progress (refreshes itself), download it."""
    member = request_member(request)
    if request.method == "POST":
        data_export_request(user=member)
        return redirect("data_export")
    return render(
        request, "profiles/data_export.html", {"export": latest_data_export(member=member)}
    )


@never_cache
@login_required
def data_export_status(request: HttpRequest, export_id: str) -> JsonResponse:
    export = data_export_for_member(member=request_member(request), export_id=export_id)
    return JsonResponse({"status": export.status, "progress": export.progress, "step": export.step})


@never_cache
@login_required
def data_export_file(request: HttpRequest, export_id: str) -> FileResponse:
    export = data_export_download(member=request_member(request), export_id=export_id)
    data_export_downloaded(export=export)
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"influence-export-{export.created_at:%Y-%m-%d}.json",
        content_type="application/json",
    )


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def account_delete(request: HttpRequest) -> HttpResponse:
    """Deleting the account asks the member to sign in again (allauth), then erases at once."""
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        account_erase(user=request_member(request))
        logout(request)
        messages.success(
            request,
            "Your account and everything we held about you were deleted. "
            "A confirmation is on its way to your email address.",
        )
        return redirect("home")
    return render(
        request,
        "profiles/account_delete.html",
        {"form": form, "holdings": [h for h in HOLDINGS if h.exported]},
    )


@never_cache
@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    """One page for sign-in settings (allauth's own pages do the changes) and the member's
    data: email addresses, password, two-factor, sessions, export and deletion."""
    member = request_member(request)
    current_key = request.session.session_key
    return render(
        request,
        "profiles/account_settings.html",
        {"settings": account_settings_for_member(member=member), "current_key": current_key},
    )
