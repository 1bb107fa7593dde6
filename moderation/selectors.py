"""Reads about disputes."""

from __future__ import annotations

from django.db.models import QuerySet

from moderation.models import Dispute, DisputeStatus
from profiles.models import User


def member_disputes(*, member: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(user=member).order_by("-created_at")


def member_open_disputes(*, member: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(user=member, status=DisputeStatus.OPEN)
