"""Typed enqueue helpers for scoring's tasks: services call these, never the tasks module
(see profiles/enqueue.py). Each sends by registered name after commit."""

from __future__ import annotations

import uuid

from profiles.enqueue import send_on_commit

SCORING_DISPATCH = "scoring.tasks.scoring_dispatch"
RUN_PREPARE = "scoring.tasks.run_prepare"
SCORE_MEMBERS = "scoring.tasks.score_members"
RUNS_SWEEP = "scoring.tasks.runs_sweep"  # the janitor; sent by beat only

TASK_NAMES = (SCORING_DISPATCH, RUN_PREPARE, SCORE_MEMBERS, RUNS_SWEEP)


def scoring_dispatch() -> None:
    send_on_commit(SCORING_DISPATCH)


def run_prepare(*, run_id: uuid.UUID, batch_size: int) -> None:
    send_on_commit(RUN_PREPARE, str(run_id), batch_size)


def score_members(*, user_ids: list[int], run_id: uuid.UUID) -> None:
    send_on_commit(SCORE_MEMBERS, user_ids, str(run_id))
