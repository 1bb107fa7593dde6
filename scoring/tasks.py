"""Celery tasks: each takes ids, and calls one service. Retries and limits live here."""

from __future__ import annotations

import uuid

from celery import shared_task

from scoring.services import imports, scores


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=900, time_limit=960)
def import_archive(job_id: str) -> str | None:
    status = imports.archive_import_run(job_id=uuid.UUID(job_id))
    return str(status) if status else None


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def score_members(user_ids: list[int], run_id: str, import_job_id: str | None = None) -> int:
    return scores.score_members(
        user_ids=user_ids,
        run_id=uuid.UUID(run_id),
        import_job_id=uuid.UUID(import_job_id) if import_job_id else None,
    )


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def dispatch_due_scores() -> int:
    return scores.scoring_dispatch()


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def prune_stale_imports() -> int:
    return imports.imports_prune_stale()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def prune_old_signals() -> int:
    return imports.signals_prune()
