"""Gaming flag review: a moderator confirms a flag or dismisses it, with a reason.

A dismissed kind stops discounting: scoring asks (``scoring.hooks.flags_dismissed``) and
the model neither raises nor applies that kind for the member again, and the member is
rescored at once. A later confirmation of the kind brings it back.
"""

from __future__ import annotations

from django.db import transaction

from moderation.models import FlagDecision, FlagReview
from moderation.services.disputes import MAX_REASON
from profiles.models import AuditAction, User
from profiles.services.audit import audit_record
from scoring.models import GamingFlag
from scoring.services.runs import score_request


class FlagReviewRefused(Exception):
    """A review that cannot be recorded; the message is for people."""


def flags_dismissed(*, member_ids: list[int]) -> dict[int, set[str]]:
    """Each member's flag kinds whose latest review dismissed them (fills
    ``scoring.hooks.flags_dismissed``). One query."""
    latest: dict[tuple[int, str], str] = {}
    rows = (
        FlagReview.objects.filter(user_id__in=member_ids)
        .order_by("user_id", "kind", "-created_at", "-id")
        .values_list("user_id", "kind", "decision")
    )
    for uid, kind, decision in rows:
        latest.setdefault((uid, kind), decision)
    found: dict[int, set[str]] = {}
    for (uid, kind), decision in latest.items():
        if decision == FlagDecision.DISMISSED:
            found.setdefault(uid, set()).add(kind)
    return found


@transaction.atomic
def flag_review(*, moderator: User, flag_id: int, decision: str, reason: str) -> FlagReview:
    """Confirm or dismiss a member's gaming flag with a reason; audited. Dismissing removes
    the flag now and rescores the member without its discount."""
    if not (moderator.is_staff and moderator.has_perm("moderation.add_flagreview")):
        raise FlagReviewRefused("Only moderators review gaming flags.")
    reason = (reason or "").strip()
    if decision not in FlagDecision.values:
        raise FlagReviewRefused("Choose to confirm or dismiss the flag.")
    if not reason:
        raise FlagReviewRefused("Write why, for the record.")
    if len(reason) > MAX_REASON:
        raise FlagReviewRefused(f"Keep the reason under {MAX_REASON:,} characters.")
    flag = GamingFlag.objects.select_for_update().filter(pk=flag_id).first()
    if flag is None:
        raise FlagReviewRefused("This flag is gone (the member was rescored meanwhile).")
    review = FlagReview.objects.create(
        user_id=flag.user_id,
        kind=flag.kind,
        decision=decision,
        reason=reason,
        evidence=flag.evidence,
        discount=flag.discount,
        moderator=moderator,
    )
    dismissed = decision == FlagDecision.DISMISSED
    audit_record(
        action=AuditAction.FLAG_DISMISSED if dismissed else AuditAction.FLAG_CONFIRMED,
        subject=flag.user,
        actor=moderator,
        detail={"flag": flag.kind, "reason": reason},
    )
    if dismissed:
        flag.delete()
        score_request(user_id=review.user_id)
    return review
