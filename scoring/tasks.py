"""Celery tasks of scoring: each takes ids and calls the service it is named after.
Retries and limits live here; names are the constants in ``scoring.enqueue``."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task

from scoring import enqueue
from scoring.services import runs

PREPARE_OPTIONS: dict[str, Any] = dict(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=runs.PREPARE_TIME_LIMIT - 60,
    time_limit=runs.PREPARE_TIME_LIMIT,
)
BATCH_OPTIONS: dict[str, Any] = dict(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=runs.BATCH_TIME_LIMIT - 60,
    time_limit=runs.BATCH_TIME_LIMIT,
)
DISPATCH_OPTIONS: dict[str, Any] = dict(acks_late=True, soft_time_limit=120, time_limit=150)


@shared_task(name=enqueue.RUN_PREPARE, **PREPARE_OPTIONS)
def run_prepare(run_id: str, batch_size: int = runs.BATCH_SIZE) -> int:
    return len(runs.run_prepare(run_id=uuid.UUID(run_id), batch_size=batch_size))


@shared_task(name=enqueue.SCORE_MEMBERS, **BATCH_OPTIONS)
def score_members(user_ids: list[int], run_id: str) -> int:
    return runs.score_members(user_ids=user_ids, run_id=uuid.UUID(run_id))


@shared_task(name=enqueue.SCORING_DISPATCH, **DISPATCH_OPTIONS)
def scoring_dispatch() -> int:
    return runs.scoring_dispatch()


@shared_task(name=enqueue.RUNS_SWEEP, **DISPATCH_OPTIONS)
def runs_sweep() -> dict[str, int]:
    return runs.runs_sweep()


# The one name before the layout step (0.1) that differs, registered for one release so
# that messages already queued under it still run. (run_prepare and score_members kept
# their names.) Remove in the release after next.
legacy_dispatch_due_scores = shared_task(
    name="scoring.tasks.dispatch_due_scores", **DISPATCH_OPTIONS
)(scoring_dispatch.run)
