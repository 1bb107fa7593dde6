from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from profiles.http import request_member
from profiles.purposes import PURPOSES
from profiles.selectors import consent_history, consent_states
from profiles.services import ConsentError, consent_give, consent_withdraw


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "profiles/home.html")


@login_required
def consent_centre(request: HttpRequest) -> HttpResponse:
    states = consent_states(user=request_member(request))
    return render(
        request,
        "profiles/consent_centre.html",
        {
            "states": [s for s in states.values() if not s.purpose.required],
            "terms": states["terms"],
            "history": consent_history(user=request_member(request)),
        },
    )


@login_required
@require_POST
def consent_change(request: HttpRequest, purpose: str) -> HttpResponse:
    action = request.POST.get("action")
    text = PURPOSES.get(purpose)
    try:
        if action == "grant":
            consent_give(user=request_member(request), purpose=purpose)
            messages.success(request, f"Granted: {text.title if text else purpose}.")
        elif action == "withdraw":
            consent_withdraw(user=request_member(request), purpose=purpose)
            note = " Your scores, topics and signals were deleted." if purpose == "scoring" else ""
            messages.success(request, f"Withdrawn: {text.title if text else purpose}.{note}")
        else:
            messages.error(request, "Choose to grant or to withdraw.")
    except ConsentError as exc:
        messages.error(request, str(exc))
    return redirect("consent_centre")
