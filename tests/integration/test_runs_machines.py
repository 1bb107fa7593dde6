"""Many machines (#13): a run's artefacts live in the database, so workers that share
nothing but PostgreSQL and the broker (each its own working directory and VAR_DIR, no
shared folder) complete a run together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scoring.models import RunArtefact, RunStatus, ScoreSnapshot, ScoringRun
from scoring.services.runs import scoring_dispatch, scoring_schedule_now
from tests.conftest import WorkerProcess, private_queue, wait_for
from tests.integration.members import member_with_signals

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # Workers on two machines share a database server and a broker (PostgreSQL and
    # Redis); the embedded defaults live in one VAR_DIR. Under REQUIRE_* these fail.
    pytest.mark.postgres,
    pytest.mark.redis,
]

MEMBERS = 40
BATCH = 4


def batches_done_by(worker: WorkerProcess) -> int:
    log = worker.log.read_text(errors="replace")
    return len(re.findall(r"scoring\.tasks\.score_members\[[^]]+\] succeeded", log))


def test_two_workers_with_their_own_folders_and_no_shared_one_complete_a_run(
    tmp_path: Path,
) -> None:
    ids = [member_with_signals(n, prefix="machine").pk for n in range(MEMBERS)]
    for user_id in ids:
        scoring_schedule_now(user_id=user_id)
    machines = {name: tmp_path / name for name in ("one", "two")}
    for folder in machines.values():
        (folder / "var").mkdir(parents=True)
    with private_queue() as queue:
        workers = [
            WorkerProcess(queue=queue, cwd=folder, extra_env={"VAR_DIR": str(folder / "var")})
            for folder in machines.values()
        ]
        try:
            assert scoring_dispatch(batch_size=BATCH) == MEMBERS
            run = ScoringRun.objects.get()
            wait_for(
                lambda: ScoringRun.objects.filter(pk=run.pk, status=RunStatus.DONE).exists(),
                timeout=120,
                what="the run to finish; logs:\n" + "\n".join(w.output() for w in workers),
            )
        finally:
            for worker in workers:
                worker.stop()

    assert ScoreSnapshot.objects.filter(run_id=run.pk).count() == MEMBERS
    assert RunArtefact.objects.count() == 0
    done = [batches_done_by(w) for w in workers]
    assert sum(done) == MEMBERS // BATCH
    assert all(done), f"each worker should have scored batches, got {done}"
    for folder in machines.values():
        # Nothing of the run's is left in either machine's folder.
        assert not (folder / "var" / "runs").exists()
        assert not [p for p in folder.rglob("*.npy")]
