"""Runs always end (#14): claims respect live runs, every batch counts once, the janitor.

In-process, through the run service; tests/integration/test_runs_*.py run the same against
real workers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_withdraw
from profiles.services.erasure import account_erase
from scoring.models import (
    RunArtefact,
    RunStatus,
    Score,
    ScoreSnapshot,
    ScoringBatch,
    ScoringRun,
    ScoringState,
)
from scoring.services.runs import (
    RUN_LIVE_SECONDS,
    run_prepare,
    runs_sweep,
    score_members,
    score_members_now,
    score_request,
    scoring_dispatch,
)
from signals.services.imports import archive_import_create, archive_import_run
from tests.conftest import make_member
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def imported(user: User, fans: list[str] | None = None) -> None:
    name = user.email.split("@")[0]
    text = archive_text(handle=f"{name}@example.social", counterparts=fans)
    job = archive_import_create(
        user=user, upload=SimpleUploadedFile("a.jsonl", text.encode()), name="a.jsonl"
    )
    archive_import_run(job_id=job.pk)


def members(n: int) -> list[User]:
    people = [make_member(f"m{i}@example.org", [Purpose.SCORING]) for i in range(n)]
    for user in people:
        imported(user)
    return people


def age(run: ScoringRun, seconds: float) -> None:
    """Make a run (and its claims) as old as `seconds`."""
    then = timezone.now() - timedelta(seconds=seconds)
    ScoringRun.objects.filter(pk=run.pk).update(created_at=then)
    ScoringState.objects.filter(claimed_run=run.pk).update(claimed_at=then)


def prepared(batch_size: int = 2000) -> tuple[ScoringRun, list[list[int]]]:
    run = ScoringRun.objects.get(status=RunStatus.PREPARING)
    return run, run_prepare(run_id=run.pk, batch_size=batch_size, enqueue=False)


def test_a_member_held_by_a_live_run_is_claimed_by_nobody_else() -> None:
    (alice,) = members(1)
    assert scoring_dispatch() == 1
    run = ScoringRun.objects.get()

    score_request(user_id=alice.pk)  # a second import lands while the run is preparing
    assert ScoringState.objects.get(user=alice).claimed_run == run.pk
    assert scoring_dispatch() == 0
    assert score_members_now(user_ids=[alice.pk]) == 0
    assert ScoringRun.objects.count() == 1

    _, (batch,) = prepared()
    assert score_members(user_ids=batch, run_id=run.pk) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    # Asked for during the run: still due, so the next dispatch scores the newer data.
    assert scoring_dispatch() == 1


def test_a_member_is_claimed_again_once_their_run_ended_or_outlived_its_tasks() -> None:
    alice, mallory = members(2)
    assert scoring_dispatch() == 2
    run = ScoringRun.objects.get()
    score_request(user_id=alice.pk)
    score_request(user_id=mallory.pk)
    age(run, RUN_LIVE_SECONDS - 60)
    assert scoring_dispatch() == 0, "a run younger than the limit still holds its members"

    age(run, RUN_LIVE_SECONDS + 60)
    assert scoring_dispatch() == 2
    assert ScoringState.objects.exclude(claimed_run=run.pk).count() == 2

    newer = ScoringRun.objects.exclude(pk=run.pk).get()
    ScoringRun.objects.filter(pk=newer.pk).update(status=RunStatus.FAILED)
    assert scoring_dispatch() == 2, "a run that ended holds nobody, however young"


@pytest.mark.parametrize("gone", ["withdrew", "erased", "claimed elsewhere"])
def test_a_batch_whose_members_are_gone_still_counts_toward_its_runs_end(gone: str) -> None:
    people = members(3)
    assert scoring_dispatch() == 3
    run, batches = prepared(batch_size=1)
    assert len(batches) == 3
    victim = people[1]
    if gone == "withdrew":
        consent_withdraw(user=victim, purpose=Purpose.SCORING)
    elif gone == "erased":
        account_erase(user=victim)
    else:
        ScoringState.objects.filter(user=victim).update(claimed_run=None, claimed_at=None)

    written = sum(score_members(user_ids=b, run_id=run.pk) for b in batches)
    assert written == 2
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.batches == 0
    assert not RunArtefact.objects.exists()
    assert not Score.objects.filter(user_id=victim.pk).exists()


def test_a_run_whose_members_all_left_before_preparation_ends_at_once() -> None:
    people = members(2)
    assert scoring_dispatch() == 2
    for user in people:
        consent_withdraw(user=user, purpose=Purpose.SCORING)
    run, batches = prepared()
    assert batches == []
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not RunArtefact.objects.exists()


def test_a_redelivered_batch_is_counted_once() -> None:
    members(2)
    assert scoring_dispatch() == 2
    run, (first, second) = prepared(batch_size=1)
    assert score_members(user_ids=first, run_id=run.pk) == 1
    assert score_members(user_ids=first, run_id=run.pk) == 0
    run.refresh_from_db()
    assert (run.status, run.batches) == (RunStatus.SCORING, 1)
    assert RunArtefact.objects.filter(run=run).exists()
    assert score_members(user_ids=second, run_id=run.pk) == 1
    run.refresh_from_db()
    assert (run.status, run.batches) == (RunStatus.DONE, 0)
    assert ScoringBatch.objects.filter(run=run, done_at__isnull=False).count() == 2


def test_a_redelivered_preparation_enqueues_only_the_batches_not_done() -> None:
    members(3)
    assert scoring_dispatch() == 3
    run, batches = prepared(batch_size=1)
    score_members(user_ids=batches[0], run_id=run.pk)
    again = run_prepare(run_id=run.pk, batch_size=1, enqueue=False)
    assert again == batches[1:]
    run.refresh_from_db()
    assert run.batches == 2


def test_the_janitor_abandons_a_stuck_run_releases_its_members_and_deletes_its_artefacts(
    settings: Any, tmp_path: Path
) -> None:
    people = members(2)
    assert scoring_dispatch() == 2
    run, batches = prepared(batch_size=1)
    score_members(user_ids=batches[0], run_id=run.pk)
    # The second batch's message was lost (a broker without acks, a purge): stuck.
    assert runs_sweep()["abandoned"] == 0, "a live run is left alone"
    age(run, RUN_LIVE_SECONDS + 60)
    settings.VAR_DIR = tmp_path
    legacy = tmp_path / "runs" / str(run.pk)
    legacy.mkdir(parents=True)
    (legacy / "weight.npy").write_bytes(b"left by an older release")

    swept = runs_sweep()

    assert swept["abandoned"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.ABANDONED
    assert run.finished_at is not None
    assert not RunArtefact.objects.exists()
    assert not ScoringState.objects.filter(claimed_run__isnull=False).exists()
    assert not (tmp_path / "runs").exists()
    # The released member is due and taken by the next dispatch.
    assert scoring_dispatch() == 1
    assert ScoringState.objects.get(user=people[1]).claimed_run is not None
    # A late message of the abandoned run changes nothing.
    assert score_members(user_ids=batches[1], run_id=run.pk) == 0
    assert not ScoreSnapshot.objects.filter(run_id=run.pk, user=people[1]).exists()


def test_the_janitor_finishes_an_old_run_whose_batches_were_all_counted() -> None:
    members(1)
    assert scoring_dispatch() == 1
    run, _ = prepared()
    # Counted, but the worker died before marking the run done.
    ScoringRun.objects.filter(pk=run.pk).update(batches=0)
    age(run, RUN_LIVE_SECONDS + 60)
    assert runs_sweep()["done"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not RunArtefact.objects.exists()


def test_the_janitor_deletes_batch_rows_a_day_after_their_run_ended() -> None:
    members(1)
    score_members_now(user_ids=list(User.objects.values_list("pk", flat=True)))
    run = ScoringRun.objects.get()
    assert runs_sweep()["batches"] == 0
    ScoringRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=2))
    assert runs_sweep()["batches"] == 1
    assert not ScoringBatch.objects.exists()


def test_a_run_keeps_its_artefacts_only_while_it_scores() -> None:
    members(2)
    assert scoring_dispatch() == 2
    run, (first, second) = prepared(batch_size=1)
    names = set(RunArtefact.objects.filter(run=run).values_list("name", flat=True))
    assert {"trust.weight", "trust.engage_indptr", "nodes.members", "nodes.keys"} <= names
    score_members(user_ids=first, run_id=run.pk)
    score_members(user_ids=second, run_id=run.pk)
    assert not RunArtefact.objects.exists()


def test_a_batch_that_outlives_its_run_writes_nothing_for_members_now_held_elsewhere() -> None:
    """The janitor abandons a run while one of its batches is still scoring, and the next
    dispatch claims the member for a new run: the late batch must not write for them
    (found by the fault tests: two snapshots from two runs)."""
    from scoring.hooks import denied_labels

    people = members(1)
    assert scoring_dispatch() == 1
    run, batches = prepared()
    newer: list[ScoringRun] = []

    def meanwhile(labels: object = None) -> set[str]:
        # Called mid-batch, after the batch loaded its members and before it writes.
        if not newer:
            age(run, RUN_LIVE_SECONDS + 60)
            assert runs_sweep()["abandoned"] == 1
            assert scoring_dispatch() == 1
            newer.append(ScoringRun.objects.exclude(pk=run.pk).get())
        return set()

    denied_labels.connect(meanwhile)
    try:
        written = score_members(user_ids=batches[0], run_id=run.pk)
    finally:
        denied_labels.disconnect(meanwhile)

    assert written == 0
    assert not ScoreSnapshot.objects.filter(run_id=run.pk).exists()
    assert ScoringState.objects.get(user=people[0]).claimed_run == newer[0].pk
