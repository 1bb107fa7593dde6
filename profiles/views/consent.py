"""The consent centre and the re-consent prompt."""

from __future__ import annotations

import hashlib
from functools import cache as memoised

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from profiles.forms import ReconsentForm
from profiles.http import request_member
from profiles.member_cache import member_cached
from profiles.models import User
from profiles.purposes import PURPOSES, Purpose
from profiles.registry import HOLDINGS
from profiles.selectors import (
    consent_history,
    consent_states,
    consent_states_of_request,
    member_authorised_apps,
    purposes_awaiting_reconsent,
)
from profiles.services import ConsentError, consent_give, consent_withdraw, consents_reconsent

WITHDRAWAL_NOTES = {
    "scoring": " Your scores, topics and signals were deleted.",
    "public_profile": " Your public page is offline.",
    "discovery": " You are no longer listed in the directory.",
    "api_access": " Third-party access was revoked.",
}


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "profiles/home.html")


HISTORY_TEMPLATE = "profiles/_consent_history.html"


@memoised
def _template_digest(name: str) -> str:
    """The template's source, hashed: a deploy that changes it uses new keys."""
    source = get_template(name).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def consent_history_html(*, member: User) -> SafeString:
    """The consent centre's history table (a row and a receipt link per ledger row, which
    grows with every change), drawn once per state of the ledger: kept in the cache under
    the member's version, which every new ledger row changes (``profiles.member_cache``),
    and the template, language and time zone."""
    name = ":".join(
        (
            "consent-history",
            _template_digest(HISTORY_TEMPLATE),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        )
    )
    html = member_cached(
        user_id=member.pk,
        name=name,
        compute=lambda: render_to_string(
            HISTORY_TEMPLATE, {"history": consent_history(user=member)}
        ),
    )
    return mark_safe(html)


@login_required
def consent_centre(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    states = consent_states_of_request(member=member)
    return render(
        request,
        "profiles/consent_centre.html",
        {
            "states": [s for s in states.values() if not s.purpose.required],
            "terms": states["terms"],
            "history_html": consent_history_html(member=member),
            "awaiting": any(s.needs_reconsent for s in states.values()),
            "member": member,
            "apps": member_authorised_apps(member=member),
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
            note = WITHDRAWAL_NOTES.get(purpose, "")
            messages.success(request, f"Withdrawn: {text.title if text else purpose}.{note}")
        else:
            messages.error(request, "Choose to grant or to withdraw.")
    except ConsentError as exc:
        messages.error(request, str(exc))
    return redirect("consent_centre")


# What withdrawing `scoring` deletes (scoring's and signals' receivers of
# profiles.hooks.scoring_withdrawn), and what it keeps, by personal-data registry entry.
WITHDRAWAL_DELETES = (
    "scoring.Score",
    "scoring.ScoreSnapshot",
    "scoring.GamingFlag",
    "scoring.Topic",
    "signals.Source",
    "signals.Post",
    "signals.Follow",
    "signals.Engagement",
    "signals.ImportedContent",
)
WITHDRAWAL_KEEPS = ("scoring.TopicBlock", "moderation.Dispute")


@login_required
def scoring_withdraw(request: HttpRequest) -> HttpResponse:
    """Withdrawing scoring, confirmed: GET lists exactly what will be deleted (with counts)
    and what stays; POST withdraws, deleting it all in one transaction."""
    member = request_member(request)
    states = consent_states(user=member)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Nothing was changed: confirm to withdraw.")
            return redirect("scoring_withdraw")
        try:
            consent_withdraw(user=member, purpose=Purpose.SCORING)
        except ConsentError as exc:
            messages.error(request, str(exc))
        else:
            title = PURPOSES[Purpose.SCORING].title
            messages.success(request, f"Withdrawn: {title}.{WITHDRAWAL_NOTES['scoring']}")
        return redirect("consent_centre")
    by_model = {h.model: h for h in HOLDINGS}
    deletes = [(by_model[m].what, by_model[m].rows(member.pk).count()) for m in WITHDRAWAL_DELETES]
    keeps = [(by_model[m].what, by_model[m].rows(member.pk).count()) for m in WITHDRAWAL_KEEPS]
    return render(
        request,
        "profiles/scoring_withdraw.html",
        {
            "granted": states[Purpose.SCORING].granted,
            "deletes": deletes,
            "keeps": keeps,
            "title": PURPOSES[Purpose.SCORING].title,
        },
    )


@login_required
def reconsent(request: HttpRequest) -> HttpResponse:
    """The re-consent prompt: purposes whose policy changed since the member granted them."""
    member = request_member(request)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    waiting = purposes_awaiting_reconsent(user=member)
    if not waiting:
        if request.method == "POST":
            messages.error(request, "These questions were already answered; nothing was changed.")
        return redirect(next_url or "dashboard")
    form = ReconsentForm(request.POST if request.method == "POST" else None, waiting=waiting)
    if request.method == "POST" and form.is_valid():
        try:
            consents_reconsent(user=member, answers=form.answers())
        except ConsentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thank you: your answers were recorded.")
            return redirect(next_url or "dashboard")
    return render(request, "profiles/reconsent.html", {"form": form, "next": next_url})
