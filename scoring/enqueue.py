"""Typed enqueue helpers for scoring's tasks: services call these, never the tasks module
(see profiles/enqueue.py). Each sends by registered name after commit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from profiles.enqueue import send_on_commit

SCORING_DISPATCH = "scoring.tasks.scoring_dispatch"
RUN_PREPARE = "scoring.tasks.run_prepare"
SCORE_MEMBERS = "scoring.tasks.score_members"
RUNS_SWEEP = "scoring.tasks.runs_sweep"  # the janitor; sent by beat only

TASK_NAMES = (SCORING_DISPATCH, RUN_PREPARE, SCORE_MEMBERS, RUNS_SWEEP)


# Set while a requested dispatch waits to run; the dispatch clears it before it claims.
DISPATCH_PENDING_KEY = "scoring:dispatch-pending"


def scoring_dispatch() -> None:
    """Ask for a dispatch after commit, coalesced: it is sent to run
    ``SCORING_DISPATCH_COALESCE_SECONDS`` later, and requests made until it starts send
    nothing, since its claim (made after it clears the pending mark, so after their
    commits) takes their members too. A lost message costs at most the mark's lifetime,
    after which beat's periodic dispatch, or the next request, takes over."""
    delay = settings.SCORING_DISPATCH_COALESCE_SECONDS
    if delay <= 0:
        send_on_commit(SCORING_DISPATCH)
        return

    def send() -> None:
        from influence.celery import app

        lifetime = delay + settings.SCORING_DISPATCH_SECONDS
        if not cache.add(DISPATCH_PENDING_KEY, "1", timeout=lifetime):
            return  # a dispatch is waiting: it will claim this member too
        try:
            app.send_task(SCORING_DISPATCH, countdown=delay)
        except BaseException:
            cache.delete(DISPATCH_PENDING_KEY)  # not sent: let the next request try
            raise

    transaction.on_commit(send)


def scoring_dispatch_started() -> None:
    """Called by the dispatch before it claims: requests from now on send a new one."""
    cache.delete(DISPATCH_PENDING_KEY)


def run_prepare(*, run_id: uuid.UUID, batch_size: int) -> None:
    send_on_commit(RUN_PREPARE, str(run_id), batch_size)


def score_members(*, user_ids: list[int], run_id: uuid.UUID) -> None:
    send_on_commit(SCORE_MEMBERS, user_ids, str(run_id))
