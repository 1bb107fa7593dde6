"""Pages about scores: the dashboard, topics, how scores work, public profiles and the directory."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from profiles.http import request_member
from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import consent_states_of_request
from scoring import hooks, selectors
from scoring.fragments import score_history_html
from scoring.models import TopicStatus
from scoring.services.deletion import score_history_delete
from scoring.services.topics import (
    SensitiveTopicUnconfirmed,
    TopicError,
    topic_add,
    topic_decide,
    topic_delete,
    topic_unblock,
)
from signals import selectors as signal_selectors
from signals.models import ImportStatus

IMPORTING = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.SCORING)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    imports = list(signal_selectors.member_imports(member=member))
    sources = list(signal_selectors.member_sources(member=member))
    importing = any(j.status in IMPORTING for j in imports)
    d = selectors.dashboard_for_member(member=member, importing=importing)
    return render(
        request,
        "scoring/dashboard.html",
        {
            "d": d,
            "history_html": score_history_html(d),
            "topics": selectors.member_topics_shown(member=member),
            "sources": sources,
            "imports": imports,
        },
    )


@login_required
def score_statement(request: HttpRequest) -> HttpResponse:
    """How the member's score was computed: each component's sources and signals."""
    member = request_member(request)
    return render(
        request,
        "scoring/statement.html",
        {"statement": selectors.activity_statement(member=member)},
    )


@login_required
def score_delete(request: HttpRequest) -> HttpResponse:
    """Confirm (GET), then delete the current score and its history (POST)."""
    member = request_member(request)
    if request.method == "POST":
        done = score_history_delete(member=member)
        when = (
            f" The next scoring run ({date_format(done.next_due, 'j F Y H:i')} UTC)"
            if done.next_due
            else " The next scoring run"
        )
        messages.success(
            request,
            f"Your score and its history ({done.snapshots} entries) were deleted.{when} "
            "computes a fresh one, unless you withdraw “Score my activity”.",
        )
        return redirect("dashboard")
    return render(
        request,
        "scoring/score_delete.html",
        {
            "score": selectors.current_score(member=member),
            "history": len(selectors.score_history(member=member)),
            "flags": selectors.member_flags(member=member).count(),
            # Frozen by a dispute, not by the moderators' investigation freeze (which holds).
            "held": hooks.holds_for(member.pk),
        },
    )


def _topics_page(
    request: HttpRequest, member: User, *, error: str = "", label: str = ""
) -> HttpResponse:
    return render(
        request,
        "scoring/topics.html",
        {
            "topics": selectors.member_topics_shown(member=member),
            "blocks": selectors.member_topic_blocks(member=member),
            "error": error,
            "label": label,
            "scoring_consent": consent_states_of_request(member=member)[Purpose.SCORING].active,
        },
        status=400 if error else 200,
    )


def _sensitive_confirm(
    request: HttpRequest, exc: SensitiveTopicUnconfirmed, *, action: str, topic_id: int | None
) -> HttpResponse:
    return render(
        request,
        "scoring/topic_sensitive.html",
        {"why": str(exc), "label": exc.label, "action": action, "topic_id": topic_id},
    )


@login_required
def topics(request: HttpRequest) -> HttpResponse:
    """The member's topics; POST adds one of their own."""
    member = request_member(request)
    if request.method == "POST":
        label = request.POST.get("label", "")
        try:
            topic = topic_add(
                member=member, label=label, confirm_sensitive=request.POST.get("confirm") == "yes"
            )
        except SensitiveTopicUnconfirmed as exc:
            return _sensitive_confirm(request, exc, action="add", topic_id=None)
        except TopicError as exc:
            return _topics_page(request, member, error=str(exc), label=label)
        messages.success(request, f"Added “{topic.label}”; it is approved.")
        return redirect("topics")
    return _topics_page(request, member)


TOPIC_ACTIONS = {
    "approve": TopicStatus.APPROVED,
    "reject": TopicStatus.REJECTED,
    "block": TopicStatus.BLOCKED,
}


@login_required
@require_POST
def topic_change(request: HttpRequest, topic_id: int) -> HttpResponse:
    """One click on a topic: approve, reject, block or delete it."""
    member = request_member(request)
    topic = selectors.topic_for_member(member=member, topic_id=topic_id)
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            label = topic_delete(member=member, topic_id=topic.pk)
            messages.success(
                request,
                f"Deleted “{label}”. Your posts may suggest it again; block it to stop that.",
            )
        elif action in TOPIC_ACTIONS:
            topic = topic_decide(
                member=member,
                topic_id=topic.pk,
                status=TOPIC_ACTIONS[action],
                confirm_sensitive=request.POST.get("confirm") == "yes",
            )
            messages.success(request, f"“{topic.label}”: {topic.get_status_display()}.")
        else:
            raise TopicError("Choose approve, reject, block or delete.")
    except SensitiveTopicUnconfirmed as exc:
        return _sensitive_confirm(request, exc, action="approve", topic_id=topic.pk)
    except TopicError as exc:
        return _topics_page(request, member, error=str(exc))
    return redirect("topics")


@login_required
@require_POST
def topic_unblock_view(request: HttpRequest, block_id: int) -> HttpResponse:
    member = request_member(request)
    try:
        label = topic_unblock(member=member, block_id=block_id)
    except TopicError as exc:
        raise Http404(str(exc)) from None
    messages.success(request, f"Unblocked “{label}”. Your posts may suggest it again.")
    return redirect("topics")


def how_scores_work(request: HttpRequest) -> HttpResponse:
    import markdown

    text = (settings.BASE_DIR / "docs" / "scoring.md").read_text()
    html = markdown.markdown(text, extensions=["tables", "fenced_code"])
    return render(request, "scoring/how_scores_work.html", {"body": html})
