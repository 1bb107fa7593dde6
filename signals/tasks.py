"""Celery tasks of signals: each takes ids and calls the service it is named after.
Retries and limits live here; names are the constants in ``signals.enqueue``."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from signals import enqueue
from signals.connectors.errors import ConnectorError, ProviderUnavailable, RateLimited
from signals.services import imports, sources

IMPORT_OPTIONS: dict[str, Any] = dict(
    acks_late=True, reject_on_worker_lost=True, soft_time_limit=900, time_limit=960
)


def _archive_import_run(self: Task, job_id: str) -> str | None:
    # A redelivered message (acks_late, on Redis after the visibility timeout, which is
    # longer than the time limit) means the worker that held it died: take the job up again.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    status = imports.archive_import_run(job_id=uuid.UUID(job_id), retake=redelivered)
    return str(status) if status else None


archive_import_run = shared_task(name=enqueue.ARCHIVE_IMPORT_RUN, bind=True, **IMPORT_OPTIONS)(
    _archive_import_run
)


@shared_task(name=enqueue.IMPORTS_PRUNE_STALE, acks_late=True, soft_time_limit=300, time_limit=360)
def imports_prune_stale() -> int:
    return imports.imports_prune_stale()


@shared_task(name=enqueue.SIGNALS_PRUNE, acks_late=True, soft_time_limit=600, time_limit=660)
def signals_prune() -> int:
    return imports.signals_prune()


# Retries of a connected source's sync. A wait up to SYNC_MAX_COUNTDOWN is a Celery
# retry with a countdown; a longer one is kept in the database (next_sync_at) for the
# dispatcher, since on Redis a countdown past the visibility timeout is redelivered early.
SYNC_MAX_RETRIES = 5
SYNC_BACKOFF_SECONDS = 30.0
SYNC_MAX_COUNTDOWN = 900.0


def source_sync_retry_plan(exc: ConnectorError, retries: int) -> tuple[float, bool]:
    """Seconds to wait after a retryable error, and whether a Celery retry does the waiting.

    A rate limit waits what the provider asked. A provider that is down backs off
    exponentially (30 s, 1, 2, 4, 8 min, with jitter); after SYNC_MAX_RETRIES the
    source waits for its next regular sync instead.
    """
    if isinstance(exc, RateLimited):
        wait = float(exc.retry_after)
        return wait, wait <= SYNC_MAX_COUNTDOWN and retries < 2 * SYNC_MAX_RETRIES
    if retries >= SYNC_MAX_RETRIES:
        return settings.SOURCE_SYNC_HOURS * 3600.0, False
    wait = min(SYNC_BACKOFF_SECONDS * 2**retries, SYNC_MAX_COUNTDOWN)
    return wait + random.uniform(0, wait / 4), True


SYNC_OPTIONS: dict[str, Any] = dict(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=600,
    time_limit=660,
    max_retries=None,  # source_sync_retry_plan caps them
)


def _source_sync_run(self: Task, source_id: int) -> str:
    try:
        return sources.source_sync_run(source_id=source_id)
    except (RateLimited, ProviderUnavailable) as exc:
        wait, by_celery = source_sync_retry_plan(exc, self.request.retries)
        # While a Celery retry is pending, the claim outlives it by a lease, so the
        # dispatcher steps in only if that message is lost.
        lease = sources.SYNC_LEASE if by_celery else timedelta(0)
        at = timezone.now() + timedelta(seconds=wait) + lease
        sources.source_sync_retry_at(source_id=source_id, message=exc.user_message, at=at)
        if not by_celery:
            return "retrying"
        raise self.retry(countdown=wait) from None
    except SoftTimeLimitExceeded:
        sources.source_sync_retry_at(
            source_id=source_id,
            message="The last sync took too long; we'll try again later.",
            at=timezone.now() + timedelta(hours=settings.SOURCE_SYNC_HOURS),
        )
        return "retrying"


source_sync_run = shared_task(name=enqueue.SOURCE_SYNC_RUN, **SYNC_OPTIONS)(_source_sync_run)


DISPATCH_OPTIONS: dict[str, Any] = dict(acks_late=True, soft_time_limit=120, time_limit=150)


@shared_task(name=enqueue.SOURCES_DISPATCH_DUE, **DISPATCH_OPTIONS)
def sources_dispatch_due() -> int:
    return sources.sources_dispatch_due()


# The names before the layout step (0.1), registered for one release so that messages
# already queued under them still run. Remove in the release after next.
legacy_import_archive = shared_task(
    name="scoring.tasks.import_archive", bind=True, **IMPORT_OPTIONS
)(_archive_import_run)
legacy_prune_stale_imports = shared_task(
    name="scoring.tasks.prune_stale_imports", acks_late=True, soft_time_limit=300, time_limit=360
)(imports_prune_stale.run)
legacy_prune_old_signals = shared_task(
    name="scoring.tasks.prune_old_signals", acks_late=True, soft_time_limit=600, time_limit=660
)(signals_prune.run)
legacy_source_sync = shared_task(name="scoring.tasks.source_sync", **SYNC_OPTIONS)(_source_sync_run)
legacy_dispatch_due_source_syncs = shared_task(
    name="scoring.tasks.dispatch_due_source_syncs", **DISPATCH_OPTIONS
)(sources_dispatch_due.run)
