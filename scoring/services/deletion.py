"""Deleting what scoring holds about a member, piece by piece, at their request.

Each delete is one audited service shared by the pages and the API. Deleting everything
is account erasure (profiles.services.erasure); withdrawing scoring deletes everything
scoring holds except blocked labels (scoring.services.runs.scoring_data_delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from profiles.models import AuditAction, User
from profiles.public_cache import public_page_cache_clear
from profiles.services.audit import audit_record
from scoring import hooks
from scoring.models import GamingFlag, Score, ScoreSnapshot, ScoringState


@dataclass(frozen=True)
class ScoreDeleted:
    snapshots: int
    flags: int
    next_due: datetime | None  # when the next run computes a fresh score (if consent holds)


@transaction.atomic
def score_history_delete(*, member: User) -> ScoreDeleted:
    """Delete the member's current score, its history and its gaming flags; audited.

    The schedule stays: the next run computes a fresh score unless the member withdraws
    scoring. Locks the member's row first, as score writes do, so a run writing at the
    same moment either comes first (and is deleted) or comes after.
    """
    User.objects.select_for_update().filter(pk=member.pk).first()
    scores = Score.objects.filter(user=member).delete()[0]
    snapshots = ScoreSnapshot.objects.filter(user=member).delete()[0]
    flags = GamingFlag.objects.filter(user=member).delete()[0]
    audit_record(
        action=AuditAction.SCORE_DELETED,
        subject=member,
        actor=member,
        detail={"scores": scores, "snapshots": snapshots, "flags": flags},
    )
    hooks.score_history_deleted.send(member_id=member.pk)
    public_page_cache_clear(user_ids=[member.pk])
    due = ScoringState.objects.filter(user=member).values_list("next_score_due", flat=True).first()
    return ScoreDeleted(snapshots=snapshots, flags=flags, next_due=due)
