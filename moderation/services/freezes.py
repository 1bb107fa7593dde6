"""Freezing a member's scoring while moderators investigate: with a reason the member sees
on their dashboard, lifted by a moderator, every step audited and told to the member (a
notification). While frozen, runs record history but write no score: they do not replace
the score shown (``Score.frozen_since``, as for a disputed score), and for a member with
no score yet they write no first one (``scoring.hooks.scores_held``, answered by
``freezes_holding``). Public pages hide it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from moderation.models import DisputeStatus, DisputeSubject, ScoringFreeze
from moderation.services.disputes import MAX_REASON
from profiles.models import AuditAction, NotificationKind, User
from profiles.public_cache import public_page_cache_clear
from profiles.services.audit import audit_record
from profiles.services.notifications import notification_send
from scoring.models import Score
from scoring.services.runs import score_request


class FreezeRefused(Exception):
    """A freeze that cannot be set or lifted; the message is for people."""


def _check(moderator: User, reason: str) -> str:
    if not (moderator.is_staff and moderator.has_perm("moderation.add_scoringfreeze")):
        raise FreezeRefused("Only moderators freeze scoring.")
    reason = (reason or "").strip()
    if not reason:
        raise FreezeRefused("Write the reason; the member reads it on their dashboard.")
    if len(reason) > MAX_REASON:
        raise FreezeRefused(f"Keep the reason under {MAX_REASON:,} characters.")
    return reason


def scoring_freeze(*, moderator: User, member_id: int, reason: str) -> ScoringFreeze:
    """Hold a member's score as it is while moderators investigate."""
    reason = _check(moderator, reason)
    try:
        with transaction.atomic():
            # The member's row lock orders this freeze against a run's write, which holds
            # the same lock: the write comes first, or sees the freeze and writes no score.
            member = User.objects.select_for_update().filter(pk=member_id, is_active=True).first()
            if member is None:
                raise FreezeRefused("No such member.")
            freeze = ScoringFreeze.objects.create(user=member, reason=reason, created_by=moderator)
            Score.objects.filter(user=member, frozen_since__isnull=True).update(
                frozen_since=timezone.now()
            )
            audit_record(
                action=AuditAction.SCORING_FROZEN,
                subject=member,
                actor=moderator,
                detail={"freeze": freeze.pk, "reason": reason},
            )
            public_page_cache_clear(user_ids=[member.pk])
            notification_send(
                user_id=member.pk,
                kind=NotificationKind.SCORING_FROZEN,
                title="Moderators paused your score while they look into your account",
                body=f"The moderators' reason: {reason}",
                url=reverse("dashboard"),
            )
    except IntegrityError:
        raise FreezeRefused("This member's scoring is frozen already.") from None
    return freeze


@transaction.atomic
def scoring_unfreeze(*, moderator: User, freeze_id: int, reason: str) -> ScoringFreeze:
    """Lift an investigation freeze; the member is rescored. A score dispute still open
    keeps the score frozen until it is answered."""
    reason = _check(moderator, reason)
    freeze = ScoringFreeze.objects.select_for_update().filter(pk=freeze_id).first()
    if freeze is None or freeze.lifted_at is not None:
        raise FreezeRefused("This freeze was lifted already.")
    freeze.lifted_at, freeze.lifted_by, freeze.lift_reason = timezone.now(), moderator, reason
    freeze.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    disputed = freeze.user.disputes.filter(
        subject=DisputeSubject.SCORE, status=DisputeStatus.OPEN
    ).exists()
    if not disputed:
        Score.objects.filter(user_id=freeze.user_id).update(frozen_since=None)
    audit_record(
        action=AuditAction.SCORING_UNFROZEN,
        subject=freeze.user,
        actor=moderator,
        detail={"freeze": freeze.pk, "reason": reason},
    )
    public_page_cache_clear(user_ids=[freeze.user_id])
    score_request(user_id=freeze.user_id)
    notification_send(
        user_id=freeze.user_id,
        kind=NotificationKind.SCORING_FROZEN,
        title="Moderators lifted the pause on your score",
        body=(
            f"The moderators' reason: {reason}\n"
            + (
                "Your score stays as it is until your open score dispute is answered."
                if disputed
                else "Your score will be computed again shortly."
            )
        ),
        url=reverse("dashboard"),
    )
    return freeze


def freeze_holds_exist() -> Any:
    """True for a member (``OuterRef("pk")``) for whom ``freeze_holds`` finds a freeze
    (scoring's ``score_holds_exist`` door)."""
    return Exists(ScoringFreeze.objects.filter(user_id=OuterRef("pk"), lifted_at=None))


def freeze_holds(*, member_id: int) -> list[str]:
    """The member's active freeze, in words for their dashboard (fills
    ``scoring.hooks.score_holds``)."""
    freeze = ScoringFreeze.objects.filter(user_id=member_id, lifted_at=None).first()
    if freeze is None:
        return []
    return [f"The moderators' reason: {freeze.reason}"]


def freezes_holding(*, member_ids: list[int]) -> set[int]:
    """Those of the members under an active freeze: runs write no score for them (fills
    ``scoring.hooks.scores_held``)."""
    return set(
        ScoringFreeze.objects.filter(user_id__in=member_ids, lifted_at=None).values_list(
            "user_id", flat=True
        )
    )
