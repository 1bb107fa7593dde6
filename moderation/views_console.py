"""The moderation console at /moderation/: server-rendered pages for staff with TOTP.

Who may open what: anonymous people are sent to sign in; a member who is not staff gets a
404 (the console does not exist for them); a staff member without TOTP is sent to set it
up (``StaffMFAMiddleware``); staff without the permission a page needs get 403. Every
change goes through an audited service; each action is its own POST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from moderation import selectors
from moderation.models import (
    ADJUSTMENT_LIMIT,
    Correction,
    DeniedTopic,
    DisputeStatus,
    DisputeSubject,
    FlagDecision,
)
from moderation.services.deny_list import denied_topic_add, denied_topic_remove
from moderation.services.disputes import DisputeRefused, dispute_answer, disputes_assign
from moderation.services.flags import FlagReviewRefused, flag_review
from moderation.services.freezes import FreezeRefused, scoring_freeze, scoring_unfreeze
from profiles.http import request_member
from profiles.models import AuditAction, AuditEntry, User
from scoring import selectors as scoring_selectors
from scoring.explain import flag_explain
from scoring.services.topics import TopicError

View = Callable[..., HttpResponse]


def _staff_gate(allowed: Callable[[Any], bool], refusal: str) -> Callable[[View], View]:
    """Open the view to staff that `allowed` accepts: the anonymous are sent to sign in,
    members who are not staff get a 404 (the console is not there for them), staff
    without the role get a 403 with `refusal`."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff:
                raise Http404("No such page.")
            if not allowed(user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def console(perm: str) -> Callable[[View], View]:
    """Open the view only to staff holding ``perm`` (see the module's docstring)."""
    return _staff_gate(lambda user: user.has_perm(perm), "Your role does not include this.")


def _back(request: HttpRequest, default: str) -> str:
    """Where to go after an action: a local `next`, or the default."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@console("moderation.view_dispute")
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "moderation/console/home.html",
        {"counts": selectors.console_counts()},
    )


@console("moderation.view_dispute")
def queue(request: HttpRequest) -> HttpResponse:
    """The dispute queue: filters, SLA breaches highlighted, assign to me, bulk assign."""
    filters = selectors.QueueFilters.from_query(request.GET)
    viewer = request_member(request)
    disputes = list(selectors.dispute_queue(viewer=viewer, filters=filters)[:200])
    cutoff = selectors.sla_cutoff()
    rows = [(d, d.status == DisputeStatus.OPEN and d.created_at < cutoff) for d in disputes]
    return render(
        request,
        "moderation/console/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "statuses": [*DisputeStatus.choices, ("all", "Any status")],
            "subjects": DisputeSubject.choices,
            "ages": [
                ("", "Any age"),
                ("1", "Older than 1 day"),
                ("3", "Older than 3 days"),
                ("7", "Older than 7 days"),
                ("30", "Older than 30 days"),
            ],  # fmt: skip
            "moderators": selectors.moderators(),
            "breaches": sum(1 for _, b in rows if b),
            "sla_days": _sla_days(),
        },
    )


def _sla_days() -> int:
    from django.conf import settings

    return int(settings.MODERATION_SLA_DAYS)


@console("moderation.change_dispute")
@require_POST
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Bulk assignment from the queue: the ticked disputes to a moderator, me, or nobody."""
    moderator = request_member(request)
    ids = [int(i) for i in request.POST.getlist("dispute") if i.isdigit()]
    to = request.POST.get("assignee", "me")
    assignee: User | None
    if to == "me":
        assignee = moderator
    elif to == "none":
        assignee = None
    else:
        assignee = selectors.moderators().filter(pk=int(to) if to.isdigit() else 0).first()
        if assignee is None:
            messages.error(request, "Choose a moderator to assign to.")
            return redirect(_back(request, reverse("console_queue")))
    if not ids:
        messages.error(request, "Tick the disputes to assign first.")
        return redirect(_back(request, reverse("console_queue")))
    try:
        changed = disputes_assign(moderator=moderator, dispute_ids=ids, assignee=assignee)
    except DisputeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{changed} dispute{'s' if changed != 1 else ''} assigned.")
    return redirect(_back(request, reverse("console_queue")))


@console("moderation.view_dispute")
def dispute_detail(
    request: HttpRequest, dispute_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    """Everything a moderator needs to answer: the statement, the item as it was frozen,
    the member's score from the member's own selectors, and their earlier disputes."""
    dispute = selectors.dispute_for_moderator(dispute_id=dispute_id)
    member = dispute.user
    snapshot_flag = None
    if dispute.subject == DisputeSubject.FLAG and dispute.snapshot:
        snapshot_flag = flag_explain(
            kind=dispute.snapshot.get("kind", dispute.detail),
            evidence=dispute.snapshot.get("evidence", {}),
            discount=float(dispute.snapshot.get("discount", 0)),
        )
    snapshot_parts = []
    if dispute.subject == DisputeSubject.SCORE and dispute.snapshot.get("components"):
        labels = scoring_selectors.COMPONENT_LABELS
        snapshot_parts = [
            (labels.get(k, k.title()), v) for k, v in dispute.snapshot["components"].items()
        ]
    return render(
        request,
        "moderation/console/dispute.html",
        {
            "dispute": dispute,
            "member": member,
            "d": scoring_selectors.dashboard_for_member(member=member),
            "statement": scoring_selectors.activity_statement(member=member),
            "topics": scoring_selectors.member_topics_shown(member=member),
            "earlier": selectors.member_earlier_disputes(dispute=dispute),
            "adjustments": selectors.member_adjustments(member_id=member.pk),
            "freeze": selectors.member_freeze(member_id=member.pk),
            "snapshot_flag": snapshot_flag,
            "snapshot_parts": snapshot_parts,
            "corrections": _corrections_for(dispute.subject),
            "limit": ADJUSTMENT_LIMIT,
            "form": request.POST if error else {},
            "error": error,
        },
        status=status,
    )


def _corrections_for(subject: str) -> list[tuple[str, str]]:
    recompute = (Correction.RECOMPUTE, "Recompute the score now")
    if subject == DisputeSubject.TOPIC:
        return [(Correction.REMOVE_TOPIC, "Remove the topic"), recompute]
    return [recompute, (Correction.ADJUST, f"Adjust by hand (±{ADJUSTMENT_LIMIT} at most)")]


@console("moderation.change_dispute")
@require_POST
def dispute_assign(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """Assign to me, or unassign (``assignee=none``)."""
    dispute = selectors.dispute_for_moderator(dispute_id=dispute_id)
    moderator = request_member(request)
    assignee = None if request.POST.get("assignee") == "none" else moderator
    try:
        disputes_assign(moderator=moderator, dispute_ids=[dispute.pk], assignee=assignee)
    except DisputeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Assigned to you." if assignee else "Nobody is assigned any more."
        )
    return redirect(_back(request, reverse("console_dispute", args=[dispute.pk])))


@console("moderation.change_dispute")
@require_POST
def dispute_resolve(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = selectors.dispute_for_moderator(dispute_id=dispute_id)
    outcome = request.POST.get("outcome", "")
    try:
        dispute_answer(
            moderator=request_member(request),
            dispute_id=dispute.pk,
            outcome=outcome,
            reason=request.POST.get("reason", ""),
            correction=request.POST.get("correction", "") if outcome == "correct" else "",
            points=request.POST.get("points") or None,
        )
    except DisputeRefused as exc:
        return dispute_detail(request, dispute.pk, error=str(exc), status=400)
    messages.success(request, "Answered. The member was notified and will be rescored.")
    return redirect("console_dispute", dispute.pk)


@console("moderation.view_deniedtopic")
def deny_list(request: HttpRequest) -> HttpResponse:
    """The global deny-list; POST adds a label (with a reason)."""
    error = ""
    if request.method == "POST":
        if not request.user.has_perm("moderation.add_deniedtopic"):
            raise PermissionDenied("Your role does not include this.")
        try:
            denied = denied_topic_add(
                moderator=request_member(request),
                label=request.POST.get("label", ""),
                reason=request.POST.get("reason", ""),
            )
        except TopicError as exc:
            error = str(exc)
        else:
            messages.success(
                request, f"“{denied.label}” is on the deny-list and was removed everywhere."
            )
            return redirect("console_deny_list")
    return render(
        request,
        "moderation/console/deny_list.html",
        {
            "denied": selectors.denied_topics(),
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@console("moderation.delete_deniedtopic")
@require_POST
def deny_list_remove(request: HttpRequest, denied_id: int) -> HttpResponse:
    denied = DeniedTopic.objects.filter(pk=denied_id).first()
    if denied is None:
        raise Http404("No such entry.")
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, "Write why the label comes off the deny-list.")
        return redirect("console_deny_list")
    denied_topic_remove(moderator=request_member(request), denied=denied, reason=reason)
    messages.success(request, f"“{denied.label}” is off the deny-list. Nothing was restored.")
    return redirect("console_deny_list")


@console("scoring.view_gamingflag")
def flags(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    return render(
        request,
        "moderation/console/flags.html",
        {
            "rows": selectors.flags_for_review(unreviewed_only=not show_all),
            "reviews": selectors.flag_reviews_recent(),
            "show_all": show_all,
        },
    )


@console("moderation.add_flagreview")
@require_POST
def flag_review_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    try:
        flag_review(
            moderator=request_member(request),
            flag_id=flag_id,
            decision=decision,
            reason=request.POST.get("reason", ""),
        )
    except FlagReviewRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Flag dismissed: it no longer discounts, and the member is being rescored."
            if decision == FlagDecision.DISMISSED
            else "Flag confirmed.",
        )
    return redirect(_back(request, reverse("console_flags")))


@console("moderation.add_scoringfreeze")
def freezes(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "moderation/console/freezes.html",
        {"freezes": selectors.freezes_active()},
    )


@console("moderation.add_scoringfreeze")
@require_POST
def member_freeze(request: HttpRequest, member_id: int) -> HttpResponse:
    try:
        scoring_freeze(
            moderator=request_member(request),
            member_id=member_id,
            reason=request.POST.get("reason", ""),
        )
    except FreezeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Scoring frozen. The member sees the reason on their dashboard.")
    return redirect(_back(request, reverse("console_freezes")))


@console("moderation.change_scoringfreeze")
@require_POST
def freeze_lift(request: HttpRequest, freeze_id: int) -> HttpResponse:
    try:
        scoring_unfreeze(
            moderator=request_member(request),
            freeze_id=freeze_id,
            reason=request.POST.get("reason", ""),
        )
    except FreezeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Freeze lifted; the member is being rescored.")
    return redirect(_back(request, reverse("console_freezes")))


# --- The audit log (admins only) ------------------------------------------------------------

REF_SHOWN = 12  # characters of a pseudonym shown on the page; the CSV has them whole


# Admins (superusers) only: least privilege, moderators get 403.
console_admin = _staff_gate(lambda user: user.is_superuser, "Only admins read the audit log.")


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    label: str
    actor: str  # a pseudonym's first characters, or "Influence" for the site itself
    subject: str  # likewise, or "" when the entry is about no member
    reason: str
    details: list[tuple[str, str]]


def _audit_row(entry: AuditEntry) -> AuditRow:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    return AuditRow(
        entry=entry,
        label=selectors.audit_action_label(entry.action),
        actor=entry.actor_ref[:REF_SHOWN] if entry.actor_ref else "Influence",
        subject=entry.subject_ref[:REF_SHOWN],
        reason=str(detail.get("reason", "")),
        details=[(k, str(v)) for k, v in sorted(detail.items()) if k != "reason" and v != ""],
    )


@console_admin
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered by action and a range of days, 50 a page."""
    filters = selectors.AuditFilters.from_query(request.GET)
    paginator = Paginator(selectors.audit_entries(filters=filters), selectors.AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export = reverse("admin:profiles_auditentry_export")
    if filters.since and filters.until:
        export += "?" + urlencode({"since": filters.since, "until": filters.until})
    return render(
        request,
        "moderation/console/audit.html",
        {
            "filters": filters,
            "actions": AuditAction.choices,
            "page": page,
            "rows": [_audit_row(e) for e in page.object_list],
            "query": query.urlencode(),
            "export_url": export,
            "ref_shown": REF_SHOWN,
        },
        status=400 if filters.errors else 200,
    )
