"""Celery tasks about people: each takes ids and calls the service it is named after.
Names are the constants in ``profiles.enqueue``."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task

from profiles import enqueue
from profiles.services import exports, handles, notifications

BUILD_OPTIONS: dict[str, Any] = dict(
    acks_late=True, reject_on_worker_lost=True, soft_time_limit=1800, time_limit=1860
)
PRUNE_OPTIONS: dict[str, Any] = dict(acks_late=True, soft_time_limit=300, time_limit=360)


@shared_task(name=enqueue.DATA_EXPORT_BUILD, **BUILD_OPTIONS)
def data_export_build(export_id: str) -> str | None:
    status = exports.data_export_build(export_id=uuid.UUID(export_id))
    return str(status) if status else None


@shared_task(name=enqueue.DATA_EXPORTS_PRUNE, **PRUNE_OPTIONS)
def data_exports_prune() -> int:
    return exports.data_exports_prune()


@shared_task(
    name=enqueue.NOTIFICATION_EMAILS_SEND,
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notification_emails_send(notification_ids: list[int]) -> int:
    return notifications.notification_emails_send(notification_ids=notification_ids)


@shared_task(name=enqueue.RETIRED_HANDLES_PRUNE, **PRUNE_OPTIONS)
def retired_handles_prune() -> int:
    return handles.retired_handles_prune()


# The names before the layout step (0.1), registered for one release so that messages
# already queued under them still run. Remove in the release after next.
legacy_build_data_export = shared_task(name="profiles.tasks.build_data_export", **BUILD_OPTIONS)(
    data_export_build.run
)
legacy_prune_data_exports = shared_task(name="profiles.tasks.prune_data_exports", **PRUNE_OPTIONS)(
    data_exports_prune.run
)
