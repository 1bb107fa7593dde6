"""Disputes: a member objects to their score, a gaming flag or a topic; a moderator
resolves it. Resolution is audited and rescores the member (issue: rescoring triggers).

While a dispute is open the disputed item is restricted (GDPR Art. 18): a disputed score
is frozen (runs record snapshots but leave the score shown as it was, and public pages
hide it), a disputed topic is hidden publicly. Moderation sets that state on scoring's
rows (scoring never imports moderation); resolving the last open dispute lifts it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from moderation.models import Dispute, DisputeStatus, DisputeSubject
from profiles.models import AuditAction, NotificationKind, User
from profiles.public_cache import public_page_cache_clear
from profiles.services.audit import audit_record
from profiles.services.notifications import notification_send
from scoring.explain import Mark
from scoring.models import GamingFlag, Score, Topic

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
                user=member, subject=subject, detail=detail, reason=reason
            )
            _restrict(dispute)
            return dispute
    except IntegrityError:
        raise DisputeRefused(
            "You already have an open dispute about this; a moderator will answer it."
        ) from None


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
        Score.objects.filter(user_id=dispute.user_id).update(frozen_since=None)
    elif dispute.subject == DisputeSubject.TOPIC:
        Topic.objects.filter(user_id=dispute.user_id, label=dispute.detail).update(
            disputed_since=None
        )
    public_page_cache_clear(user_ids=[dispute.user_id])


def dispute_marks(*, member_id: int) -> list[Mark]:
    """Disputes opened and answered, for the member's score history plot (scoring's
    ``score_marks`` door)."""
    marks = []
    for d in Dispute.objects.filter(user_id=member_id).order_by("created_at"):
        about = d.get_subject_display().lower() + (f" “{d.detail}”" if d.detail else "")
        marks.append(Mark(at=d.created_at, kind="dispute", text=f"You disputed {about}"))
        if d.resolved_at:
            kind = "correction" if d.status == DisputeStatus.UPHELD else "resolution"
            word = "corrected" if kind == "correction" else "answered"
            marks.append(Mark(at=d.resolved_at, kind=kind, text=f"Dispute {word}: {about}"))
    return marks


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
    _lift(dispute)
    audit_record(
        action=AuditAction.DISPUTE_UPHELD if upheld else AuditAction.DISPUTE_REJECTED,
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
