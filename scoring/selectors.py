"""Reads about signals and scores. Protected objects are fetched only through these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from django.http import Http404

from profiles.models import User
from scoring.models import (
    Dispute,
    GamingFlag,
    ImportJob,
    Score,
    ScoreSnapshot,
    ScoringRun,
    Source,
    Topic,
)

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


def import_job_for_member(*, member: User, job_id: uuid.UUID | str) -> ImportJob:
    """One import job, only for its own member; anything else is a 404."""
    job = ImportJob.objects.filter(pk=job_id).filter(user=member).first()
    if job is None:
        raise Http404("No such import.")
    return job


def current_score(*, member: User) -> Score | None:
    return Score.objects.filter(user=member).first()


def score_components(score: Score) -> list[Component]:
    return [
        Component(key=k, label=COMPONENT_LABELS.get(k, k.title()), points=Decimal(v))
        for k, v in score.components.items()
    ]


def member_sources(*, member: User) -> QuerySet[Source]:
    return Source.objects.filter(user=member).order_by("network", "handle")


def source_for_member(*, member: User, source_id: int) -> Source:
    """One source, only for its own member; anything else is a 404."""
    source = Source.objects.filter(pk=source_id).filter(user=member).first()
    if source is None:
        raise Http404("No such source.")
    return source


CONNECTABLE_PROVIDERS = ("github", "mastodon")


def social_account_for_member(*, member: User, account_id: int) -> SocialAccount:
    """One of the member's GitHub or Mastodon accounts; anything else is a 404."""
    account = (
        SocialAccount.objects.filter(pk=account_id)
        .filter(user=member)
        .filter(provider__in=CONNECTABLE_PROVIDERS)
        .first()
    )
    if account is None:
        raise Http404("No such account.")
    return account


def member_unused_accounts(*, member: User) -> QuerySet[SocialAccount]:
    """The member's GitHub or Mastodon sign-in accounts that are not a source."""
    return SocialAccount.objects.filter(
        user=member, provider__in=CONNECTABLE_PROVIDERS, influence_source__isnull=True
    ).order_by("provider", "id")


def account_just_connected(*, member: User, provider: str, since: datetime) -> SocialAccount | None:
    """The member's account of `provider` that allauth connected or updated since `since`."""
    return (
        SocialAccount.objects.filter(user=member, provider=provider, last_login__gte=since)
        .order_by("-last_login")
        .first()
    )


def member_topics(*, member: User) -> QuerySet[Topic]:
    return Topic.objects.filter(user=member).order_by("status", "-score", "label")


def member_flags(*, member: User) -> QuerySet[GamingFlag]:
    return GamingFlag.objects.filter(user=member).order_by("kind")


def member_disputes(*, member: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(user=member).order_by("-created_at")


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


def member_imports(*, member: User, limit: int = 10) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(user=member).order_by("-created_at")[:limit]


def score_history(*, member: User, limit: int = 30) -> QuerySet[ScoreSnapshot]:
    return ScoreSnapshot.objects.filter(user=member).order_by("-computed_at")[:limit]
