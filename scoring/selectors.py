"""Reads about signals and scores. Protected objects are fetched only through these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import (
    has_active_consent,
    users_with_active_consent,
    with_active_consent,
    with_verified_email,
)
from scoring.models import GamingFlag, Score, ScoringRun, Topic, TopicStatus

COMPONENT_LABELS = {
    "base": "Base",
    "reach": "Reach",
    "engagement": "Engagement",
    "amplification": "Amplification",
    "network": "Trusted network",
    "penalties": "Penalties",
}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    points: Decimal


def current_score(*, member: User) -> Score | None:
    return Score.objects.filter(user=member).first()


def score_components(score: Score) -> list[Component]:
    return [
        Component(key=k, label=COMPONENT_LABELS.get(k, k.title()), points=Decimal(v))
        for k, v in score.components.items()
    ]


def member_topics(*, member: User) -> QuerySet[Topic]:
    return Topic.objects.filter(user=member).order_by("status", "-score", "label")


def member_flags(*, member: User) -> QuerySet[GamingFlag]:
    return GamingFlag.objects.filter(user=member).order_by("kind")


def score_run(score: Score) -> ScoringRun | None:
    return ScoringRun.objects.filter(pk=score.run_id).first()


FLAG_TEXTS = {
    "follower_burst": (
        "Follower burst without engagement",
        "Many new followers arrived in a short time without engaging with your posts. "
        "Followers like these count for less until they engage.",
    ),
    "engagement_ring": (
        "Engagement ring",
        "A small group engages densely with each other, including you. Engagement from "
        "inside the group is discounted.",
    ),
    "low_trust_engagement": (
        "Engagement from low-trust accounts",
        "A high share of your engagement comes from accounts with no trust path to "
        "established members. It counts for less.",
    ),
}


# --- Public profile and directory (invariant 5) -----------------------------------------


@dataclass(frozen=True)
class PublicProfile:
    member: User
    score: Score | None  # shown only under scoring consent too
    topics: list[str]  # approved by the member (invariant 4)


def _approved_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(status=TopicStatus.APPROVED).order_by("-score", "label")


def public_profile_for_viewer(*, slug: str) -> PublicProfile:
    """A member's public page, for anyone: only while they grant ``public_profile`` under the
    current policy. Anything else (no such page, no consent, paused) is the same 404.
    """
    member = with_verified_email(User.objects.filter(public_slug=slug, is_active=True)).first()
    if member is None:
        raise Http404("No such page.")
    if not has_active_consent(user_id=member.pk, purpose=Purpose.PUBLIC_PROFILE):
        raise Http404("No such page.")
    score, topics = None, []
    if has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        score = current_score(member=member)
        topics = list(_approved_topics().filter(user=member).values_list("label", flat=True))
    return PublicProfile(member=member, score=score, topics=topics)


def directory_members(*, topic: str = "") -> QuerySet[User]:
    """Members listed in the directory: only those who grant ``discovery`` now, optionally
    those with an approved topic of that name.

    Each carries ``has_public_page`` (the directory links only to pages that answer) and
    ``approved_topics`` (a list of labels).
    """
    listed = with_verified_email(users_with_active_consent(Purpose.DISCOVERY))
    if topic:
        listed = listed.filter(
            pk__in=_approved_topics().filter(label__iexact=topic.strip()).values("user_id")
        )
    public = with_active_consent(with_verified_email(User.objects.all()), Purpose.PUBLIC_PROFILE)
    return (
        listed.annotate(has_public_page=Exists(public.filter(pk=OuterRef("pk"))))
        .prefetch_related(Prefetch("topics", _approved_topics(), to_attr="approved_topics"))
        .order_by("date_joined", "id")
    )
