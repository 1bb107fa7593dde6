"""Manual score adjustments, read by scoring at every write (``scoring.hooks``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from moderation.models import ScoreAdjustment


def adjustments_of(*, member_ids: list[int]) -> dict[int, Decimal]:
    """Each member's total adjustment in points (fills ``scoring.hooks.score_adjustments``)."""
    rows = (
        ScoreAdjustment.objects.filter(user_id__in=member_ids)
        .values("user_id")
        .annotate(total=Sum("points"))
        .values_list("user_id", "total")
    )
    return {uid: total for uid, total in rows if total}
