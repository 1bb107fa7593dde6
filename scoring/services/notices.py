"""What a batch write tells people: members' notifications (first score, a score that moved
more than ``NOTIFY_SCORE_CHANGE_POINTS``, an import finished) and the public-page cache.

``runs.scores_write`` calls ``scores_written`` inside its transaction, so notifications and
the write commit together; emails go out after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from profiles.models import NotificationKind
from profiles.public_cache import public_page_cache_clear
from profiles.services.notifications import NotificationItem, notifications_send
from scoring.models import Score
from scoring.services.graph import of_members
from signals.models import ImportJob, ImportStatus


def scores_before(*, user_ids: Sequence[int]) -> dict[int, Decimal]:
    """The current scores of these members, read before a batch replaces them."""
    return dict(Score.objects.filter(of_members(user_ids)).values_list("user_id", "value"))


def imports_scoring(*, user_ids: Sequence[int]) -> list[tuple[str, int]]:
    """The imports waiting for this score (the batch write marks them done)."""
    jobs = ImportJob.objects.filter(of_members(user_ids), status=ImportStatus.SCORING)
    return [(str(pk), uid) for pk, uid in jobs.values_list("pk", "user_id")]


def scores_written(
    *,
    before: Mapping[int, Decimal],
    after: Mapping[int, Decimal],
    imports: Sequence[tuple[str, int]] = (),
) -> None:
    threshold = Decimal(str(settings.NOTIFY_SCORE_CHANGE_POINTS))
    dashboard = reverse("dashboard")
    items = []
    for uid, value in after.items():
        old = before.get(uid)
        if old is None:
            items.append(
                NotificationItem(
                    user_id=uid,
                    kind=NotificationKind.SCORE_FIRST,
                    title=f"Your first score: {value}",
                    body="See how every point was earned on your dashboard.",
                    url=dashboard,
                )
            )
        elif abs(Decimal(value) - old) > threshold:
            direction = "rose" if value > old else "fell"
            items.append(
                NotificationItem(
                    user_id=uid,
                    kind=NotificationKind.SCORE_CHANGED,
                    title=f"Your score {direction} from {old} to {value}",
                    body="Your dashboard shows which components changed.",
                    url=dashboard,
                )
            )
    for job_id, uid in imports:
        if uid in after:
            items.append(
                NotificationItem(
                    user_id=uid,
                    kind=NotificationKind.IMPORT_DONE,
                    title="Your import is done and scored",
                    url=reverse("import_detail", args=[job_id]),
                )
            )
    notifications_send(items)
    public_page_cache_clear(user_ids=list(after))
