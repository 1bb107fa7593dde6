"""Runs always end (#14), against a real worker on PostgreSQL and Redis: the operators'
import command racing the worker's dispatcher leaves no run unfinished and no artefact."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from scoring.models import RUN_ENDED, RunArtefact, RunStatus, Score, ScoringRun, ScoringState
from tests.conftest import WorkerProcess, make_member, wait_for
from tests.samples import archive_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MEMBERS = 6
ROUNDS = int(os.environ.get("RUNS_IMPORT_ROUNDS", "8"))
# Imports that landed while the member was held by a live run, from before the import
# started to after it asked for a score: the race that used to leave runs stuck.
MIN_RACED = 5


def live_run_of(user: User) -> object | None:
    """The live run holding this member, if any."""
    run = ScoringState.objects.filter(user=user).values_list("claimed_run", flat=True).first()
    if run and ScoringRun.objects.filter(pk=run).exclude(status__in=RUN_ENDED).exists():
        return run
    return None


def settled(people: list[User]) -> bool:
    """No run going, nobody held, nobody due: everything asked for was scored."""
    now = timezone.now()
    states = ScoringState.objects.filter(user__in=people)
    return (
        not ScoringRun.objects.exclude(status__in=RUN_ENDED).exists()
        and not states.filter(claimed_run__isnull=False).exists()
        and not states.filter(next_score_due__lte=now).exists()
        and states.count() == len(people)
    )


def test_imports_from_the_command_racing_the_dispatcher_leave_no_run_unfinished(
    settings: Any, celery_worker_process: WorkerProcess, tmp_path: Path
) -> None:
    # Each import's request sends its dispatch at once, the harshest interleaving: with
    # requests coalescing, fewer runs are live while the next import lands (1 raced of 48
    # in one run), and the test would show no race.
    settings.SCORING_DISPATCH_COALESCE_SECONDS = 0
    people = [make_member(f"importer{i}@example.org", [Purpose.SCORING]) for i in range(MEMBERS)]
    raced = 0
    last_import = {}
    for r in range(ROUNDS):
        for i, user in enumerate(people):
            path = tmp_path / f"{i}-{r}.jsonl"
            fans = [f"fan{r}-{j}@x.social" for j in range(3 + r)]
            path.write_text(archive_text(handle=f"importer{i}@example.social", counterparts=fans))
            before = live_run_of(user)
            last_import[user.pk] = timezone.now()
            out = io.StringIO()
            call_command("import_archive", "--user", user.email, str(path), stdout=out)
            assert "Queued for scoring" in out.getvalue()
            if before is not None and live_run_of(user) == before:
                raced += 1

    wait_for(
        lambda: settled(people),
        timeout=180,
        what=f"every run to end; worker log:\n{celery_worker_process.output()}",
    )
    assert raced >= MIN_RACED, f"only {raced} imports raced a live run; the test shows nothing"
    assert not ScoringRun.objects.filter(status__in=[RunStatus.PREPARING, RunStatus.SCORING])
    assert not ScoringRun.objects.exclude(status=RunStatus.DONE).exists()
    assert RunArtefact.objects.count() == 0
    # Each member's score comes from a run that began after their last import began: the
    # newest data was scored, not only the data some run happened to hold.
    for user in people:
        score = Score.objects.get(user=user)
        assert ScoringRun.objects.get(pk=score.run_id).created_at > last_import[user.pk]
    print(f"\n{raced} of {MEMBERS * ROUNDS} imports raced a live run")
