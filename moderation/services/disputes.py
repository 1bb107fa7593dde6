"""Disputes: a member objects to their score, a gaming flag or a topic; a moderator
resolves it. Resolution is audited and rescores the member (issue: rescoring triggers)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from moderation.models import Dispute, DisputeStatus, DisputeSubject
from profiles.models import NotificationKind, User
from profiles.services.audit import audit_record
from profiles.services.notifications import notification_send
from scoring.models import GamingFlag, Topic

MAX_REASON = 2000


class DisputeRefused(Exception):
    """A dispute that cannot be opened or resolved; the message is for people."""


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
    if subject == DisputeSubject.SCORE:
        detail = ""
    elif subject == DisputeSubject.FLAG:
        if not GamingFlag.objects.filter(user=member, kind=detail).exists():
            raise DisputeRefused("That flag is not on your account (any more).")
    elif not Topic.objects.filter(user=member, label=detail).exists():
        raise DisputeRefused("That topic is not one of yours.")
    try:
        with transaction.atomic():
            return Dispute.objects.create(
                user=member, subject=subject, detail=detail, reason=reason
            )
    except IntegrityError:
        raise DisputeRefused(
            "You already have an open dispute about this; a moderator will answer it."
        ) from None


@transaction.atomic
def dispute_resolve(*, moderator: User, dispute_id: int, upheld: bool, resolution: str) -> Dispute:
    """Uphold or reject an open dispute with a note for the member; audited, and the
    member is rescored."""
    resolution = (resolution or "").strip()
    if not moderator.is_staff:
        raise DisputeRefused("Only moderators resolve disputes.")
    if not resolution:
        raise DisputeRefused("Write the resolution the member will read.")
    if len(resolution) > MAX_REASON:
        raise DisputeRefused(f"Keep the resolution under {MAX_REASON:,} characters.")
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None or dispute.status != DisputeStatus.OPEN:
        raise DisputeRefused("This dispute was already resolved.")
    dispute.status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
    dispute.resolution = resolution
    dispute.resolved_by = moderator
    dispute.resolved_at = timezone.now()
    dispute.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit_record(
        action=f"dispute.{dispute.status}",
        subject=dispute.user,
        actor=moderator,
        detail={"dispute": dispute.pk, "subject": dispute.subject, "detail": dispute.detail},
    )
    from scoring.services.runs import score_request

    score_request(user_id=dispute.user_id)
    notification_send(
        user_id=dispute.user_id,
        kind=NotificationKind.DISPUTE_ANSWERED,
        title=f"A moderator {'upheld' if upheld else 'rejected'} your dispute",
        body=resolution,
        url=reverse("disputes"),
    )
    return dispute
