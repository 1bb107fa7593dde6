"""Builders for the member-page tests: a scored member, long histories, many topics and
sources. Times are relative to now."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from profiles.models import User
from scoring.models import GamingFlag, Score, ScoreSnapshot, Topic, TopicStatus
from scoring.services.runs import score_members_now
from signals.models import Source, SourceKind
from signals.services.imports import archive_import_create, archive_import_run
from tests.samples import archive_text

_hashes = itertools.count(10_000_000)


def scored(user: User, tags: list[str] | None = None) -> Score:
    """Import a small archive for the member and score them in this process."""
    text = archive_text(handle=f"{user.email.split('@')[0]}@example.social", tags=tags)
    job = archive_import_create(
        user=user, upload=SimpleUploadedFile("a.jsonl", text.encode()), name="a.jsonl"
    )
    archive_import_run(job_id=job.pk)
    score_members_now(user_ids=[user.pk])
    return Score.objects.get(user=user)


def history_add(user: User, n: int, *, version: str = "old-1") -> None:
    now = timezone.now()
    ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(
            user=user,
            run_id=uuid.uuid4(),
            value=Decimal(20 + i % 50),
            components={"reach": "1"},
            model_version=version,
            computed_at=now - timedelta(days=n - i + 1),
        )
        for i in range(n)
    )


def topics_add(user: User, n: int) -> None:
    Topic.objects.bulk_create(
        Topic(user=user, label=f"topic {i}", status=TopicStatus.SUGGESTED if i % 2 else "approved")
        for i in range(n)
    )


def sources_add(user: User, n: int) -> None:
    Source.objects.bulk_create(
        Source(
            user=user,
            kind=SourceKind.ARCHIVE,
            network="mastodon",
            handle=f"extra{i}@example.social",
            handle_hash=next(_hashes),
        )
        for i in range(n)
    )


def flag_add(user: User, kind: str, evidence: dict[str, float], discount: float = 0.5) -> None:
    GamingFlag.objects.create(
        user=user, kind=kind, evidence=evidence, discount=discount, run_id=uuid.uuid4()
    )


RING = {
    "ring_size": 12.0,
    "reciprocal_engagers": 14.0,
    "ring_share_of_engagement": 0.8123,
    "ring_density": 0.9,
    "ring_share_of_standing": 0.5,
    "events_per_ring_engager": 7.25,
}
