"""Reads about disputes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from moderation.models import (
    DeniedTopic,
    Dispute,
    DisputeStatus,
    DisputeSubject,
    FlagReview,
    ScoreAdjustment,
    ScoringFreeze,
)
from profiles.models import AuditAction, AuditEntry, User
from scoring.explain import FlagExplanation, flag_explain
from scoring.models import GamingFlag


def member_disputes(*, member: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(user=member).order_by("-created_at")


def dispute_for_member(*, member: User, dispute_id: int) -> Dispute:
    """One dispute, only for the member who opened it; anything else is a 404."""
    from django.http import Http404

    dispute = Dispute.objects.filter(pk=dispute_id).filter(user=member).first()
    if dispute is None:
        raise Http404("No such dispute.")
    return dispute


def member_open_disputes(*, member: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(user=member, status=DisputeStatus.OPEN)


# --- The console (staff only; the views check who may look) -----------------------------


def sla_cutoff() -> datetime:
    """Open disputes created before this breach the SLA (``MODERATION_SLA_DAYS``)."""
    return timezone.now() - timedelta(days=settings.MODERATION_SLA_DAYS)


@dataclass(frozen=True)
class ConsoleCounts:
    open_disputes: int
    sla_breaches: int
    unassigned: int
    open_flags: int
    frozen_members: int
    denied_labels: int


def console_counts() -> ConsoleCounts:
    """The front page's numbers. Open flags: flags with no review since they were raised."""
    open_disputes = Dispute.objects.filter(status=DisputeStatus.OPEN)
    agg = open_disputes.aggregate(
        total=Count("pk"),
        breaches=Count("pk", filter=Q(created_at__lt=sla_cutoff())),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
    return ConsoleCounts(
        open_disputes=agg["total"],
        sla_breaches=agg["breaches"],
        unassigned=agg["unassigned"],
        open_flags=flags_unreviewed().count(),
        frozen_members=ScoringFreeze.objects.filter(lifted_at=None).count(),
        denied_labels=DeniedTopic.objects.count(),
    )


AGES = {"": None, "1": 1, "3": 3, "7": 7, "30": 30}


@dataclass(frozen=True)
class QueueFilters:
    status: str = DisputeStatus.OPEN
    subject: str = ""
    age: str = ""  # older than this many days ("" any age)
    assignee: str = ""  # "", "me", "none", "any"
    sort: str = "oldest"  # or "newest"
    breached: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> QueueFilters:
        """Filters from a query string; unknown values fall back to the defaults."""
        status = query.get("status", DisputeStatus.OPEN)
        subject = query.get("subject", "")
        age = query.get("age", "")
        assignee = query.get("assignee", "")
        return cls(
            status=status if status in [*DisputeStatus.values, "all"] else DisputeStatus.OPEN,
            subject=subject if subject in DisputeSubject.values else "",
            age=age if age in AGES else "",
            assignee=assignee if assignee in ("me", "none", "any") else "",
            sort="newest" if query.get("sort") == "newest" else "oldest",
            breached=query.get("breached") == "1",
        )


def dispute_queue(*, viewer: User, filters: QueueFilters) -> QuerySet[Dispute]:
    """Disputes for the queue, filtered and sorted by age (oldest first by default)."""
    qs = Dispute.objects.select_related("user", "assignee")
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.subject:
        qs = qs.filter(subject=filters.subject)
    days = AGES.get(filters.age)
    if days:
        qs = qs.filter(created_at__lt=timezone.now() - timedelta(days=days))
    if filters.breached:
        qs = qs.filter(status=DisputeStatus.OPEN, created_at__lt=sla_cutoff())
    if filters.assignee == "me":
        qs = qs.filter(assignee=viewer)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee == "any":
        qs = qs.filter(assignee__isnull=False)
    order = ["created_at", "pk"] if filters.sort == "oldest" else ["-created_at", "-pk"]
    return qs.order_by(*order)


def dispute_for_moderator(*, dispute_id: int) -> Dispute:
    """One dispute for the console; a 404 if there is none (erased members' are gone)."""
    from django.http import Http404

    dispute = (
        Dispute.objects.select_related("user", "assignee", "resolved_by")
        .filter(pk=dispute_id)
        .filter(user__is_active=True)
        .first()
    )
    if dispute is None:
        raise Http404("No such dispute.")
    return dispute


def member_earlier_disputes(*, dispute: Dispute) -> QuerySet[Dispute]:
    """The member's other disputes, newest first, with their resolutions."""
    return (
        Dispute.objects.filter(user_id=dispute.user_id)
        .exclude(pk=dispute.pk)
        .select_related("resolved_by")
        .order_by("-created_at")
    )


def flags_unreviewed() -> QuerySet[GamingFlag]:
    """Flags no moderator has reviewed since they were raised."""
    reviewed = FlagReview.objects.filter(
        user_id=OuterRef("user_id"), kind=OuterRef("kind"), created_at__gte=OuterRef("created_at")
    )
    return GamingFlag.objects.filter(~Exists(reviewed))


@dataclass(frozen=True)
class FlagRow:
    flag: GamingFlag
    explained: FlagExplanation
    review: FlagReview | None  # the latest review of this member's kind, if any


def flags_for_review(*, unreviewed_only: bool = True) -> list[FlagRow]:
    """Current gaming flags with their evidence in the member's own words, oldest first."""
    flags = list(
        (flags_unreviewed() if unreviewed_only else GamingFlag.objects.all())
        .select_related("user")
        .order_by("created_at", "pk")[:200]
    )
    latest: dict[tuple[int, str], FlagReview] = {}
    for review in FlagReview.objects.filter(user_id__in={f.user_id for f in flags}).select_related(
        "moderator"
    ):
        latest.setdefault((review.user_id, review.kind), review)
    return [
        FlagRow(
            flag=f,
            explained=flag_explain(kind=f.kind, evidence=f.evidence, discount=f.discount),
            review=latest.get((f.user_id, f.kind)),
        )
        for f in flags
    ]


def flag_reviews_recent() -> QuerySet[FlagReview]:
    return FlagReview.objects.select_related("user", "moderator").order_by("-created_at")[:50]


def freezes_active() -> QuerySet[ScoringFreeze]:
    return ScoringFreeze.objects.filter(lifted_at=None).select_related("user", "created_by")


def member_freeze(*, member_id: int) -> ScoringFreeze | None:
    return ScoringFreeze.objects.filter(user_id=member_id, lifted_at=None).first()


def member_adjustments(*, member_id: int) -> QuerySet[ScoreAdjustment]:
    return ScoreAdjustment.objects.filter(user_id=member_id).order_by("created_at")


def moderators() -> QuerySet[User]:
    """Staff who may work disputes: superusers and the Moderators group."""
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name="Moderators"))
        .distinct()
        .order_by("pk")
    )


def denied_topics() -> QuerySet[DeniedTopic]:
    return DeniedTopic.objects.order_by("label")


# --- The audit log page (admins only) ------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    """The audit page's filters: an action (one of ``AuditAction``) and a range of days,
    both ends included, in the site's time zone. ``errors`` says what was refused."""

    action: str = ""
    since: date | None = None
    until: date | None = None
    errors: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> AuditFilters:
        errors: list[str] = []
        action = query.get("action", "")
        if action and action not in AuditAction.values:
            errors.append("Choose an action from the list.")
            action = ""
        days: dict[str, date | None] = {}
        for key, name in (("since", "first"), ("until", "last")):
            raw = query.get(key, "").strip()
            days[key] = None
            if raw:
                try:
                    days[key] = date.fromisoformat(raw)
                except ValueError:
                    errors.append(f"The {name} day must be a date like 2026-01-31.")
        since, until = days["since"], days["until"]
        if since and until and until < since:
            errors.append("The last day comes before the first.")
            since = until = None
        return cls(action=action, since=since, until=until, errors=tuple(errors))


def audit_entries(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Audit entries for the console's audit page, newest first. Bad filters match nothing
    (the page shows why), so a mistyped range never shows the whole log as if filtered."""
    if filters.errors:
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.all()
    if filters.action:
        qs = qs.filter(action=filters.action)
    zone = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(at__gte=datetime.combine(filters.since, time.min, tzinfo=zone))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=zone)
        qs = qs.filter(at__lt=end)
    return qs.order_by("-at", "-id")


def audit_action_label(action: str) -> str:
    """An action's name; a value the enum does not know (none should exist) is shown as
    itself, never as "-"."""
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action or "Unknown action"
