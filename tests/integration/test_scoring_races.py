"""Invariant 2 under a real worker: withdrawal races and crashed workers."""

from __future__ import annotations

import io
import os
import random
import time
import uuid

import pytest
from django.conf import settings

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_withdraw
from scoring.models import Score, ScoreSnapshot, ScoringState
from scoring.services.runs import score_request, scoring_dispatch, scoring_schedule_now
from signals.archive import read_archive
from signals.models import Engagement, Follow, Post, SourceKind
from signals.services.imports import signals_store
from tests.conftest import WorkerProcess, make_member, private_queue, wait_for
from tests.samples import archive_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RACE_ITERATIONS = int(os.environ.get("RACE_ITERATIONS", "200"))


def member_with_signals(n: int) -> User:
    user = make_member(f"racer{n}@example.org", [Purpose.SCORING])
    text = archive_text(handle=f"racer{n}@example.social", counterparts=[f"fan{n}@x.social"])
    archive = read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)
    signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    return user


def test_withdrawing_while_scoring_tasks_run_never_leaves_a_score(
    celery_worker_process: WorkerProcess,
) -> None:
    rng = random.Random(2026)
    racers = []
    for n in range(RACE_ITERATIONS):
        user = member_with_signals(n)
        score_request(user_id=user.pk)  # enqueued at once: autocommit
        # Withdraw at a random moment: before, during or after the worker's write.
        time.sleep(rng.uniform(0, 0.04))
        consent_withdraw(user=user, purpose=Purpose.SCORING)
        racers.append(user.pk)

    # A sentinel member who keeps consent: once it is scored, the queue before it is done.
    sentinel = member_with_signals(10_000)
    score_request(user_id=sentinel.pk)
    wait_for(
        lambda: Score.objects.filter(user=sentinel).exists(),
        timeout=120,
        what=f"the sentinel's score; worker log:\n{celery_worker_process.output()}",
    )
    for model in (Score, ScoreSnapshot, Post, Engagement, Follow, ScoringState):
        left = model.objects.filter(user_id__in=racers).count()
        assert left == 0, f"{left} {model.__name__} rows outlived a withdrawal"


# Redelivery after a crash needs a broker with acks (Redis); the embedded filesystem broker
# deletes a message when it is read.
@pytest.mark.redis
def test_after_a_worker_is_killed_mid_batch_every_member_has_exactly_one_score() -> None:
    # Twelve batches of 50: each batch commits as a whole, so the kill lands between
    # batches already written and the one running or queued.
    members = [member_with_signals(n) for n in range(600)]
    ids = [m.pk for m in members]
    for user_id in ids:
        scoring_schedule_now(user_id=user_id)
    # Short only here, and still above the longest task in this test (a few seconds).
    env = {"CELERY_VISIBILITY_TIMEOUT": "10"}
    with private_queue() as queue:
        first = WorkerProcess(extra_env=env, queue=queue)
        try:
            assert scoring_dispatch(batch_size=50) == len(ids)
            wait_for(
                lambda: Score.objects.filter(user_id__in=ids).exists(),
                timeout=60,
                what=f"the first batch; worker log:\n{first.output()}",
                interval=0.02,
            )
            first.kill()
        finally:
            first.stop()
        done_before_kill = Score.objects.filter(user_id__in=ids).count()
        assert done_before_kill < len(ids), "the run finished before the kill; make it longer"

        second = WorkerProcess(extra_env=env, queue=queue)
        try:
            wait_for(
                lambda: Score.objects.filter(user_id__in=ids).count() == len(ids),
                timeout=180,
                what=f"the redelivered batch; worker log:\n{second.output()}",
            )
        finally:
            second.stop()
    runs = set(Score.objects.filter(user_id__in=ids).values_list("run_id", flat=True))
    assert len(runs) == 1, "the redelivered message is the same run"
    run = runs.pop()
    assert ScoreSnapshot.objects.filter(user_id__in=ids, run_id=run).count() == len(ids)
    assert not ScoreSnapshot.objects.filter(user_id__in=ids).exclude(run_id=run).exists()
    assert isinstance(run, uuid.UUID)
