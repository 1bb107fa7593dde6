"""Reads about disputes."""

from __future__ import annotations

from django.db.models import QuerySet

from moderation.models import Dispute, DisputeStatus
from profiles.models import User


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
