"""Scoring: who is due, computing a batch, and writing under the consent lock (invariant 2)."""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent, users_with_active_consent
from scoring.models import (
    Engagement,
    Follow,
    FollowDirection,
    ImportedContent,
    ImportJob,
    ImportStatus,
    Post,
    Score,
    ScoreSnapshot,
    ScoringState,
    Source,
)

log = logging.getLogger(__name__)

MODEL_VERSION = "foundation-1"
BATCH_SIZE = 500


def scorable_members() -> QuerySet[User]:
    """The one definition of who may be scored: active, current scoring consent."""
    return users_with_active_consent(Purpose.SCORING)


# --- The first, simple model ----------------------------------------------------------


@dataclass(frozen=True)
class MemberFeatures:
    followers: int
    posts: int
    distinct_engagers: int
    distinct_resharers: int
    window_start: datetime | None
    window_end: datetime | None


@dataclass(frozen=True)
class ScoreResult:
    value: Decimal
    components: dict[str, Decimal]
    confidence: float
    model_version: str
    window_start: datetime | None
    window_end: datetime | None


def _points(x: float, scale: float, cap: float) -> float:
    return min(cap, scale * math.log10(1 + max(0.0, x)))


def compute_score(f: MemberFeatures) -> ScoreResult:
    """A first explainable score: components in points, added up to a value in 1..100."""
    raw = {
        "base": 1.0,
        "reach": _points(f.followers, 8.0, 40.0),
        "engagement": _points(f.distinct_engagers / max(1, f.posts) * 10, 12.0, 30.0),
        "amplification": _points(f.distinct_resharers, 8.0, 29.0),
    }
    components = {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in raw.items()}
    value = sum(components.values(), Decimal("0"))
    confidence = min(1.0, math.log10(1 + f.distinct_engagers + f.posts) / 3)
    return ScoreResult(
        value=value,
        components=components,
        confidence=round(confidence, 2),
        model_version=MODEL_VERSION,
        window_start=f.window_start,
        window_end=f.window_end,
    )


def member_features(*, user_id: int) -> MemberFeatures:
    posts = Post.objects.filter(user_id=user_id).aggregate(
        n=Count("id"), lo=Min("at"), hi=Max("at")
    )
    received = Engagement.objects.filter(user_id=user_id, direction="in")
    followers = Follow.objects.filter(user_id=user_id, direction=FollowDirection.FOLLOWER).count()
    reported = Source.objects.filter(user_id=user_id).aggregate(n=Sum("followers_count"))["n"] or 0
    return MemberFeatures(
        followers=max(followers, int(reported)),
        posts=posts["n"],
        distinct_engagers=received.values("counterpart").distinct().count(),
        distinct_resharers=received.filter(kind="reshare").values("counterpart").distinct().count(),
        window_start=posts["lo"],
        window_end=posts["hi"],
    )


# --- Scheduling -----------------------------------------------------------------------


def scoring_schedule_now(*, user_id: int) -> None:
    """Mark a member due now; the dispatcher (or a direct request) picks them up."""
    ScoringState.objects.update_or_create(
        user_id=user_id, defaults={"next_score_due": timezone.now(), "claimed_run": None}
    )


def score_request(*, user_id: int, import_job_id: uuid.UUID | None = None) -> None:
    """Score one member soon: due now in the database, and a task after commit."""
    scoring_schedule_now(user_id=user_id)
    run_id = str(uuid.uuid4())
    job = str(import_job_id) if import_job_id else None

    def enqueue() -> None:
        from scoring.tasks import score_members

        score_members.delay([user_id], run_id, job)

    transaction.on_commit(enqueue)


def scoring_dispatch(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Claim every due member into batches of one run and enqueue them; returns the count.

    A claim older than the task time limit is stale (its worker died with the broker
    message lost) and is claimed again, so the database alone decides what is due.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    run_id = uuid.uuid4()
    due = (
        ScoringState.objects.filter(user__in=scorable_members(), next_score_due__lte=now)
        .exclude(claimed_at__gt=stale)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    ids = list(due)
    if not ids:
        return 0
    with transaction.atomic():
        ScoringState.objects.filter(user_id__in=ids).update(claimed_run=run_id, claimed_at=now)
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]

            def enqueue(batch: list[int] = batch) -> None:
                from scoring.tasks import score_members

                score_members.delay(batch, str(run_id), None)

            transaction.on_commit(enqueue)
    return len(ids)


# --- Writing --------------------------------------------------------------------------


@transaction.atomic
def score_write(*, user_id: int, run_id: uuid.UUID, result: ScoreResult) -> bool:
    """Write a member's score, only if they still consent, re-checked under the row lock."""
    member = User.objects.select_for_update().filter(pk=user_id).first()
    if member is None or not has_active_consent(user_id=user_id, purpose=Purpose.SCORING):
        return False
    now = timezone.now()
    Score.objects.update_or_create(
        user_id=user_id,
        defaults={
            "value": result.value,
            "components": {k: str(v) for k, v in result.components.items()},
            "confidence": result.confidence,
            "model_version": result.model_version,
            "window_start": result.window_start,
            "window_end": result.window_end,
            "run_id": run_id,
            "computed_at": now,
        },
    )
    ScoreSnapshot.objects.get_or_create(
        user_id=user_id,
        run_id=run_id,
        defaults={
            "value": result.value,
            "components": {k: str(v) for k, v in result.components.items()},
            "model_version": result.model_version,
            "computed_at": now,
        },
    )
    ScoringState.objects.update_or_create(
        user_id=user_id,
        defaults={
            "next_score_due": now + timedelta(hours=settings.SCORE_INTERVAL_HOURS),
            "claimed_run": None,
            "claimed_at": None,
        },
    )
    return True


def score_members(
    *, user_ids: list[int], run_id: uuid.UUID, import_job_id: uuid.UUID | None = None
) -> int:
    """Score a batch; members without consent are skipped. Returns how many were written."""
    allowed = set(scorable_members().filter(pk__in=user_ids).values_list("pk", flat=True))
    written = 0
    for user_id in user_ids:
        if user_id not in allowed:
            continue
        result = compute_score(member_features(user_id=user_id))
        if score_write(user_id=user_id, run_id=run_id, result=result):
            written += 1
    if import_job_id is not None:
        ImportJob.objects.filter(pk=import_job_id, status=ImportStatus.SCORING).update(
            status=ImportStatus.DONE, finished_at=timezone.now()
        )
    return written


def score_members_now(*, user_id: int, import_job_id: uuid.UUID | None = None) -> int:
    """Score one member in this process (operators' commands); returns 1 if written."""
    return score_members(user_ids=[user_id], run_id=uuid.uuid4(), import_job_id=import_job_id)


# --- Deleting -------------------------------------------------------------------------


def scoring_data_delete(*, user_id: int) -> None:
    """Delete everything scoring holds about a member (called inside the withdrawal)."""
    Score.objects.filter(user_id=user_id).delete()
    ScoreSnapshot.objects.filter(user_id=user_id).delete()
    Post.objects.filter(user_id=user_id).delete()
    Engagement.objects.filter(user_id=user_id).delete()
    Follow.objects.filter(user_id=user_id).delete()
    ImportedContent.objects.filter(source__user_id=user_id).delete()
    Source.objects.filter(user_id=user_id).delete()
    ScoringState.objects.filter(user_id=user_id).delete()
    pending = ImportJob.objects.filter(user_id=user_id).exclude(
        status__in=[ImportStatus.DONE, ImportStatus.FAILED]
    )
    names = [job.file.name for job in pending if job.file.name]
    pending.delete()
    if names:
        # Files go only once the deletion is committed; a rollback keeps them.
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)
