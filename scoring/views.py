"""Pages about scores: the dashboard, topics, how scores work, public profiles and the directory."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from profiles.http import request_member
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from scoring import selectors
from scoring.services.topics import TopicError, topic_add, topic_decide
from signals import selectors as signal_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    score = selectors.current_score(member=member)
    return render(
        request,
        "scoring/dashboard.html",
        {
            "score": score,
            "components": selectors.score_components(score) if score else [],
            "run": selectors.score_run(score) if score else None,
            "flags": [
                (f, *selectors.FLAG_TEXTS.get(f.kind, (f.kind, "")))
                for f in selectors.member_flags(member=member)
            ],
            "topics": selectors.member_topics(member=member),
            "scoring_consent": has_active_consent(user_id=member.pk, purpose=Purpose.SCORING),
            "sources": signal_selectors.member_sources(member=member),
            "imports": signal_selectors.member_imports(member=member),
        },
    )


@login_required
def topics(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    error = ""
    if request.method == "POST":
        try:
            if "label" in request.POST:
                topic = topic_add(member=member, label=request.POST.get("label", ""))
                messages.success(request, f"Added “{topic.label}”.")
            else:
                topic = topic_decide(
                    member=member,
                    topic_id=int(request.POST.get("topic", "0") or 0),
                    status=request.POST.get("status", ""),
                )
                messages.success(request, f"“{topic.label}”: {topic.get_status_display()}.")
            return redirect("topics")
        except (TopicError, ValueError) as exc:
            error = str(exc) if isinstance(exc, TopicError) else "No such topic."
    return render(
        request,
        "scoring/topics.html",
        {
            "topics": selectors.member_topics(member=member),
            "error": error,
            "scoring_consent": has_active_consent(user_id=member.pk, purpose=Purpose.SCORING),
        },
    )


def how_scores_work(request: HttpRequest) -> HttpResponse:
    import markdown

    text = (settings.BASE_DIR / "docs" / "scoring.md").read_text()
    html = markdown.markdown(text, extensions=["tables", "fenced_code"])
    return render(request, "scoring/how_scores_work.html", {"body": html})
