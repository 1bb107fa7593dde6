"""The members' side of moderation: their disputes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from moderation import selectors as moderation_selectors
from moderation.services.disputes import MAX_OPEN_DISPUTES, DisputeRefused, dispute_open
from profiles.http import request_member
from scoring import selectors


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    """The member's disputes, and the form to open one about their score, a flag or a
    topic. A moderator answers each; the answer rescores the member."""
    member = request_member(request)
    error = ""
    chosen, reason = request.POST.get("what", "score:"), request.POST.get("reason", "")
    if request.method == "POST":
        subject, _, detail = chosen.partition(":")
        try:
            dispute_open(member=member, subject=subject, detail=detail, reason=reason)
        except DisputeRefused as exc:
            error = str(exc)
        else:
            messages.success(request, "Your dispute was sent to the moderators.")
            return redirect("disputes")
    choices = [("score:", "My score")]
    choices += [
        (f"flag:{flag.kind}", f"Flag: {explained.title}")
        for flag, explained in selectors.flags_explained(member=member)
    ]
    choices += [
        (f"topic:{t.label}", f"Topic: {t.label}")
        for t in selectors.member_topics_shown(member=member)
    ]
    return render(
        request,
        "moderation/disputes.html",
        {
            "disputes": moderation_selectors.member_disputes(member=member),
            "choices": choices,
            "chosen": chosen,
            "reason": reason if error else "",
            "error": error,
            "open_count": moderation_selectors.member_open_disputes(member=member).count(),
            "most_open": MAX_OPEN_DISPUTES,
        },
        status=400 if error else 200,
    )
