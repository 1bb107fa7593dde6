"""Disputes: a member objects to their score, a gaming flag or a topic; a moderator
resolves it. Resolution is audited and rescores the member (issue: rescoring triggers).

While a dispute is open the disputed item is restricted (GDPR Art. 18): a disputed score
is frozen (runs record snapshots but leave the score shown as it was, and public pages
hide it), a disputed topic is hidden publicly. Moderation sets that state on scoring's
rows (scoring never imports moderation); resolving the last open dispute lifts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone

from moderation.models import (
    ADJUSTMENT_LIMIT,
    Correction,
    Dispute,
    DisputeStatus,
    DisputeSubject,
    ScoreAdjustment,
    ScoringFreeze,
)
from profiles.models import AuditAction, NotificationKind, User
from profiles.public_cache import public_page_cache_clear
from profiles.services.audit import audit_record
from profiles.services.notifications import notification_send
from scoring.explain import Mark
from scoring.models import GamingFlag, Score, ScoreSnapshot, Topic
from scoring.services.runs import score_request
from scoring.services.topics import topic_block

MAX_REASON = 2000
MAX_OPEN_DISPUTES = 3


class DisputeRefused(Exception):
    """A dispute that cannot be opened or resolved; the message is for people."""


class DisputeLimitReached(DisputeRefused):
    """The member already has ``MAX_OPEN_DISPUTES`` open disputes."""

    def __init__(self, *, open_now: int) -> None:
        self.open_now = open_now
        super().__init__(
            f"You already have {open_now} open disputes, the most at once. A moderator "
            "will answer them; you can open another once one is answered."
        )


def dispute_open(*, member: User, subject: str, detail: str = "", reason: str) -> Dispute:
    """Open a dispute about something the member holds, with their reason."""
    reason = (reason or "").strip()
    detail = (detail or "").strip()
    if subject not in DisputeSubject.values:
        raise DisputeRefused("Choose what you dispute: your score, a flag or a topic.")
    if not reason:
        raise DisputeRefused("Say why you dispute it, so a moderator can look into it.")
    if len(reason) > MAX_REASON:
        raise DisputeRefused(f"Keep the reason under {MAX_REASON:,} characters.")
    try:
        with transaction.atomic():
            # The member's row lock serialises their disputes, so the limit holds.
            User.objects.select_for_update().filter(pk=member.pk).first()
            if subject == DisputeSubject.SCORE:
                detail = ""
            elif subject == DisputeSubject.FLAG:
                if not GamingFlag.objects.filter(user=member, kind=detail).exists():
                    raise DisputeRefused("That flag is not on your account (any more).")
            elif not Topic.objects.filter(user=member, label=detail).exists():
                raise DisputeRefused("That topic is not one of yours.")
            open_now = Dispute.objects.filter(user=member, status=DisputeStatus.OPEN).count()
            if open_now >= MAX_OPEN_DISPUTES:
                raise DisputeLimitReached(open_now=open_now)
            dispute = Dispute.objects.create(
                user=member,
                subject=subject,
                detail=detail,
                reason=reason,
                snapshot=_snapshot(member_id=member.pk, subject=subject, detail=detail),
            )
            _restrict(dispute)
            return dispute
    except IntegrityError:
        raise DisputeRefused(
            "You already have an open dispute about this; a moderator will answer it."
        ) from None


def _snapshot(*, member_id: int, subject: str, detail: str) -> dict[str, Any]:
    """The disputed item as it is now, when the dispute freezes it: what the moderator
    judges, even after later runs change the live rows. Numbers and labels only."""
    if subject == DisputeSubject.SCORE:
        score = Score.objects.filter(user_id=member_id).first()
        if score is None:
            return {}
        return {
            "value": str(score.value),
            "components": score.components,
            "model_version": score.model_version,
            "computed_at": score.computed_at.isoformat(),
            "window_start": score.window_start.isoformat() if score.window_start else None,
            "window_end": score.window_end.isoformat() if score.window_end else None,
        }
    if subject == DisputeSubject.FLAG:
        flag = GamingFlag.objects.filter(user_id=member_id, kind=detail).first()
        if flag is None:
            return {}
        return {"kind": flag.kind, "evidence": flag.evidence, "discount": flag.discount}
    topic = Topic.objects.filter(user_id=member_id, label=detail).first()
    if topic is None:
        return {}
    return {
        "label": topic.label,
        "status": topic.status,
        "score": str(topic.score),
        "posts": topic.posts,
        "origin": topic.origin,
    }


def _restrict(dispute: Dispute) -> None:
    """Freeze what an open dispute is about (GDPR Art. 18)."""
    now = timezone.now()
    if dispute.subject == DisputeSubject.SCORE:
        Score.objects.filter(user_id=dispute.user_id, frozen_since__isnull=True).update(
            frozen_since=now
        )
    elif dispute.subject == DisputeSubject.TOPIC:
        Topic.objects.filter(
            user_id=dispute.user_id, label=dispute.detail, disputed_since__isnull=True
        ).update(disputed_since=now)
    public_page_cache_clear(user_ids=[dispute.user_id])  # hidden publicly from now on


def disputes_withdraw_deleted(*, member_id: int) -> list[int]:
    """The member deleted their score and its history (and with it its flags): their open
    disputes about the score or a flag are withdrawn, audited, since nothing is left to
    review; the next run then writes a fresh score, as the deletion page says. Topic
    disputes stay open. Fills ``scoring.hooks.score_history_deleted``; returns the ids."""
    disputes = list(
        Dispute.objects.select_for_update().filter(
            user_id=member_id,
            subject__in=[DisputeSubject.SCORE, DisputeSubject.FLAG],
            status=DisputeStatus.OPEN,
        )
    )
    now = timezone.now()
    for dispute in disputes:
        dispute.status = DisputeStatus.WITHDRAWN
        dispute.resolution = (
            "You deleted your score and its history, so there is nothing left for a "
            "moderator to review. Your next score is computed afresh."
        )
        dispute.resolved_at = now
        dispute.save(update_fields=["status", "resolution", "resolved_at"])
        audit_record(
            action=AuditAction.DISPUTE_WITHDRAWN,
            subject=dispute.user,
            actor=dispute.user,
            detail={"dispute": dispute.pk, "subject": dispute.subject, "detail": dispute.detail},
        )
    return [d.pk for d in disputes]


def _lift(dispute: Dispute) -> None:
    """Lift the freeze once no open dispute about the same thing is left."""
    still_open = Dispute.objects.filter(
        user_id=dispute.user_id,
        subject=dispute.subject,
        detail=dispute.detail,
        status=DisputeStatus.OPEN,
    ).exists()
    if still_open:
        return
    if dispute.subject == DisputeSubject.SCORE:
        # A moderator's investigation freeze keeps the score held after its dispute ends.
        if not ScoringFreeze.objects.filter(user_id=dispute.user_id, lifted_at=None).exists():
            Score.objects.filter(user_id=dispute.user_id).update(frozen_since=None)
    elif dispute.subject == DisputeSubject.TOPIC:
        Topic.objects.filter(user_id=dispute.user_id, label=dispute.detail).update(
            disputed_since=None
        )
    public_page_cache_clear(user_ids=[dispute.user_id])


def dispute_marks_exist() -> Any:
    """True for a member (``OuterRef("pk")``) for whom ``dispute_marks`` finds anything:
    a dispute or an adjustment (scoring's ``score_marks_exist`` door)."""
    return Exists(Dispute.objects.filter(user_id=OuterRef("pk"))) | Exists(
        ScoreAdjustment.objects.filter(user_id=OuterRef("pk"))
    )


def dispute_marks(*, member_id: int) -> list[Mark]:
    """Disputes opened and answered, for the member's score history plot (scoring's
    ``score_marks`` door)."""
    marks = []
    for d in Dispute.objects.filter(user_id=member_id).order_by("created_at"):
        about = d.get_subject_display().lower() + (f" “{d.detail}”" if d.detail else "")
        marks.append(Mark(at=d.created_at, kind="dispute", text=f"You disputed {about}"))
        if d.resolved_at:
            kind = "correction" if d.status == DisputeStatus.CORRECTED else "resolution"
            word = "corrected" if kind == "correction" else "answered"
            marks.append(Mark(at=d.resolved_at, kind=kind, text=f"Dispute {word}: {about}"))
    for a in ScoreAdjustment.objects.filter(user_id=member_id).order_by("created_at"):
        marks.append(
            Mark(
                at=a.created_at,
                kind="correction",
                text=f"Moderator adjustment: {a.points:+} points",
            )
        )
    return marks


OUTCOMES = {
    "uphold": DisputeStatus.UPHELD,
    "correct": DisputeStatus.CORRECTED,
    "reject": DisputeStatus.REJECTED,
}
AUDIT_OF = {
    DisputeStatus.UPHELD: AuditAction.DISPUTE_UPHELD,
    DisputeStatus.CORRECTED: AuditAction.DISPUTE_CORRECTED,
    DisputeStatus.REJECTED: AuditAction.DISPUTE_REJECTED,
}
TITLES = {
    DisputeStatus.UPHELD: "A moderator reviewed your dispute: it stays as it was",
    DisputeStatus.CORRECTED: "A moderator corrected what you disputed",
    DisputeStatus.REJECTED: "A moderator rejected your dispute",
}


def _moderator_check(moderator: User) -> None:
    if not (moderator.is_staff and moderator.has_perm("moderation.change_dispute")):
        raise DisputeRefused("Only moderators work disputes.")


@transaction.atomic
def disputes_assign(*, moderator: User, dispute_ids: Sequence[int], assignee: User | None) -> int:
    """Assign open disputes to a moderator (or nobody, with None); audited per dispute.
    Returns how many changed. Resolved disputes are left alone."""
    _moderator_check(moderator)
    if assignee is not None and not (
        assignee.is_staff and assignee.has_perm("moderation.change_dispute")
    ):
        raise DisputeRefused("Disputes can only be assigned to a moderator.")
    disputes = list(
        Dispute.objects.select_for_update()
        .filter(pk__in=list(dispute_ids), status=DisputeStatus.OPEN)
        .order_by("pk")
    )
    now = timezone.now()
    changed = 0
    for d in disputes:
        if d.assignee_id == (assignee.pk if assignee else None):
            continue
        d.assignee, d.assigned_at = assignee, now if assignee else None
        d.save(update_fields=["assignee", "assigned_at"])
        audit_record(
            action=AuditAction.DISPUTE_ASSIGNED,
            subject=d.user,
            actor=moderator,
            detail={"dispute": d.pk, "assignee": "moderator" if assignee else "nobody",
                    "to_self": assignee is not None and assignee.pk == moderator.pk},
        )  # fmt: skip
        changed += 1
    return changed


def _points(points: Decimal | str | None) -> Decimal:
    try:
        value = Decimal(str(points)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DisputeRefused("Give the adjustment as a number of points, e.g. 2.5 or -3.") from None
    if not value or abs(value) > ADJUSTMENT_LIMIT:
        raise DisputeRefused(
            f"An adjustment is between -{ADJUSTMENT_LIMIT} and +{ADJUSTMENT_LIMIT} points, "
            "and not zero."
        )
    return value


@transaction.atomic
def dispute_answer(
    *,
    moderator: User,
    dispute_id: int,
    outcome: str,
    reason: str,
    correction: str = "",
    points: Decimal | str | None = None,
) -> Dispute:
    """Answer an open dispute: uphold (it stays), correct it (recompute now, remove the
    topic, or a bounded manual adjustment) or reject it, with a written reason the member
    reads. Lifts the freeze, audits, notifies the member and rescores them. Bad input
    changes nothing."""
    _moderator_check(moderator)
    reason = (reason or "").strip()
    status = OUTCOMES.get(outcome)
    if status is None:
        raise DisputeRefused("Choose an answer: uphold, correct or reject.")
    if not reason:
        raise DisputeRefused("Write the resolution the member will read: your reason.")
    if len(reason) > MAX_REASON:
        raise DisputeRefused(f"Keep the reason under {MAX_REASON:,} characters.")
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None or dispute.status != DisputeStatus.OPEN:
        raise DisputeRefused("This dispute was already resolved.")
    detail: dict[str, Any] = {
        "dispute": dispute.pk,
        "subject": dispute.subject,
        "detail": dispute.detail,
        "reason": reason,
    }
    if status == DisputeStatus.CORRECTED:
        detail.update(_correct(dispute, moderator, correction, points, reason))
        dispute.correction = correction
    dispute.status = status
    dispute.resolution = reason
    dispute.resolved_by = moderator
    dispute.resolved_at = timezone.now()
    dispute.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "correction"])
    _lift(dispute)
    audit_record(action=AUDIT_OF[status], subject=dispute.user, actor=moderator, detail=detail)
    score_request(user_id=dispute.user_id)  # enqueued by name, after commit
    notification_send(
        user_id=dispute.user_id,
        kind=NotificationKind.DISPUTE_ANSWERED,
        title=TITLES[status],
        body=reason,
        url=reverse("disputes"),
    )
    return dispute


def _correct(
    dispute: Dispute, moderator: User, correction: str, points: Decimal | str | None, reason: str
) -> dict[str, Any]:
    """Apply a correction; returns what the audit entry records about it."""
    if correction == Correction.RECOMPUTE:
        return {"correction": correction}  # the rescore below recomputes
    if correction == Correction.REMOVE_TOPIC:
        if dispute.subject != DisputeSubject.TOPIC:
            raise DisputeRefused("Only a topic dispute can be corrected by removing the topic.")
        topic = Topic.objects.filter(user_id=dispute.user_id, label=dispute.detail).first()
        if topic is not None:
            # Blocked for the member: hidden everywhere, never suggested again; they can
            # lift the block themselves on their topics page.
            topic_block(member=dispute.user, topic_id=topic.pk)
        public_page_cache_clear(user_ids=[dispute.user_id])
        return {"correction": correction, "topic": dispute.detail}
    if correction == Correction.ADJUST:
        if dispute.subject == DisputeSubject.TOPIC:
            raise DisputeRefused("A topic dispute cannot be answered with a score adjustment.")
        value = _points(points)
        held = ScoreAdjustment.objects.filter(user_id=dispute.user_id).aggregate(t=Sum("points"))
        total = (held["t"] or Decimal(0)) + value
        if abs(total) > ADJUSTMENT_LIMIT:
            raise DisputeRefused(
                f"This member's adjustments would add up to {total:+} points; together they "
                f"stay within ±{ADJUSTMENT_LIMIT}."
            )
        ScoreAdjustment.objects.create(
            user_id=dispute.user_id,
            points=value,
            reason=reason,
            dispute=dispute,
            moderator=moderator,
        )
        _adjust_now(user_id=dispute.user_id, points=value)
        return {"correction": correction, "points": str(value)}
    raise DisputeRefused("Choose how to correct it: recompute, remove the topic or adjust.")


def _adjust_now(*, user_id: int, points: Decimal) -> None:
    """Show an adjustment at once on the current score (runs apply it from now on), as its
    own component and a point in the history."""
    score = Score.objects.select_for_update().filter(user_id=user_id).first()
    if score is None:
        return
    parts = dict(score.components)
    base = score.value - Decimal(parts.get("adjustment", "0"))
    total = Decimal(parts.get("adjustment", "0")) + points
    value = min(max(base + total, Decimal(1)), Decimal(100))
    parts["adjustment"] = str(value - base)
    score.value, score.components = value, parts
    score.save(update_fields=["value", "components"])
    ScoreSnapshot.objects.create(
        user_id=user_id,
        run_id=uuid.uuid4(),  # made by hand, not by a run
        value=value,
        components=parts,
        model_version=score.model_version,
    )
    public_page_cache_clear(user_ids=[user_id])


def dispute_resolve(*, moderator: User, dispute_id: int, upheld: bool, resolution: str) -> Dispute:
    """Uphold or reject an open dispute with a note for the member (the admin's action);
    see ``dispute_answer``."""
    return dispute_answer(
        moderator=moderator,
        dispute_id=dispute_id,
        outcome="uphold" if upheld else "reject",
        reason=resolution,
    )
