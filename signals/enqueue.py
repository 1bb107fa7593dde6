"""Typed enqueue helpers for signals' tasks: services call these, never the tasks module
(see profiles/enqueue.py). Each sends by registered name after commit."""

from __future__ import annotations

import uuid

from profiles.enqueue import send_on_commit

ARCHIVE_IMPORT_RUN = "signals.tasks.archive_import_run"
IMPORTS_PRUNE_STALE = "signals.tasks.imports_prune_stale"
SIGNALS_PRUNE = "signals.tasks.signals_prune"
SOURCE_SYNC_RUN = "signals.tasks.source_sync_run"
SOURCES_DISPATCH_DUE = "signals.tasks.sources_dispatch_due"

TASK_NAMES = (
    ARCHIVE_IMPORT_RUN,
    IMPORTS_PRUNE_STALE,
    SIGNALS_PRUNE,
    SOURCE_SYNC_RUN,
    SOURCES_DISPATCH_DUE,
)


# Imports run on a queue of their own (settings.CELERY_IMPORT_QUEUE, with its own worker
# in the Procfile), so a long import never holds up scoring. Old names still queued
# under them are routed the same way.
IMPORT_TASKS = frozenset({ARCHIVE_IMPORT_RUN, "scoring.tasks.import_archive"})


def route_task(name: str, *args: object, **kwargs: object) -> dict[str, str] | None:
    """Celery router (CELERY_TASK_ROUTES): import tasks to the import queue, read at each
    send so that a test run can point it at a queue of its own."""
    if name in IMPORT_TASKS:
        from django.conf import settings

        return {"queue": settings.CELERY_IMPORT_QUEUE}
    return None


def archive_import_run(*, job_id: uuid.UUID) -> None:
    send_on_commit(ARCHIVE_IMPORT_RUN, str(job_id))


def source_sync_run(*, source_id: int) -> None:
    send_on_commit(SOURCE_SYNC_RUN, source_id)
