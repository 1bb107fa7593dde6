"""One fault scenario, run as its own process against the private servers of tests/faults.

    python tests/faults/scenario.py NAME

The environment names the servers (FAULT_PG_ROOT, FAULT_PG_PORT, FAULT_REDIS_ROOT,
FAULT_REDIS_PORT, FAULT_TEMPLATE, FAULT_REDIS_DB). The script makes a fresh database from
the migrated template, points Django (and the workers it starts) at it, seeds members,
starts real workers, injects the fault, waits for the system to settle and checks the
invariants with the database. Its last line of output is a JSON object:
``{"scenario": ..., "problems": [...], "figures": {...}}``; no problems means the
invariants held.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.faults.servers import Postgres, Redis  # noqa: E402

QUEUE = "faults"
# Short only in these tests, and still above the longest task they run (a batch of a few
# dozen members, an archive read of a few seconds): a message comes back only when its
# worker really died.
VISIBILITY_TIMEOUT = 10
BATCH = 10
MEMBERS = 120

PG = Postgres(Path(os.environ.get("FAULT_PG_ROOT", "")), int(os.environ.get("FAULT_PG_PORT", "0")))
REDIS = Redis(
    Path(os.environ.get("FAULT_REDIS_ROOT", "")), int(os.environ.get("FAULT_REDIS_PORT", "0"))
)
figures: dict[str, Any] = {}


def setup(name: str) -> Path:
    """A fresh database from the template, and Django pointed at it and the private Redis."""
    db = f"fault_{name}"
    PG.psql(f"DROP DATABASE IF EXISTS {db}")
    PG.psql(f"CREATE DATABASE {db} TEMPLATE {os.environ['FAULT_TEMPLATE']}")
    # Beside the servers, so the test's clean-up removes it too.
    var = Path(tempfile.mkdtemp(prefix=f"fault-{name}-", dir=PG.root.parent))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="influence.settings",
        DATABASE_URL=PG.url(db),
        REDIS_URL=REDIS.url(int(os.environ.get("FAULT_REDIS_DB", "0"))),
        CELERY_QUEUE=QUEUE,
        CELERY_IMPORT_QUEUE=f"{QUEUE}-imports",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        VAR_DIR=str(var),
        CONN_MAX_AGE="0",
    )
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return var


# --- Seeding --------------------------------------------------------------------------

expected: dict[int, dict[str, int]] = {}  # member id -> signal rows their archive holds


def archive_of(n: int, fans: int = 1, posts: int = 3) -> str:
    from tests.samples import archive_text

    people = [f"fan{n}-{j}@x.social" for j in range(fans)]
    return archive_text(handle=f"member{n}@example.social", counterparts=people, posts=posts)


def member(n: int, *, stored: bool = True) -> Any:
    """A member with scoring consent; with ``stored``, one archive already stored."""
    from django.conf import settings

    from profiles.purposes import Purpose
    from signals.archive import read_archive
    from signals.models import SourceKind
    from signals.services.imports import signals_store
    from tests.conftest import make_member

    user = make_member(f"member{n}@example.org", [Purpose.SCORING])
    if stored:
        archive = read_archive(io.BytesIO(archive_of(n).encode()), secret=settings.HANDLE_HASH_KEY)
        signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
        expected[user.pk] = {"posts": 3, "follows": 2}
    return user


def upload(user: Any, n: int, *, fans: int = 1, posts: int = 3) -> Any:
    """Upload an archive as the import page does: the job is queued after commit."""
    from django.core.files.base import ContentFile

    from signals.services.imports import archive_import_create

    text = archive_of(n, fans=fans, posts=posts).encode()
    expected[user.pk] = {"posts": posts, "follows": fans + 1}
    return archive_import_create(user=user, upload=ContentFile(text), name=f"{n}.jsonl")


def withdraw(user: Any) -> None:
    from profiles.purposes import Purpose
    from profiles.services import consent_withdraw

    consent_withdraw(user=user, purpose=Purpose.SCORING)


# --- Processes ------------------------------------------------------------------------


def worker() -> Any:
    from tests.conftest import WorkerProcess

    return WorkerProcess(queue=QUEUE)


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    from django.db import close_old_connections

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def db_reconnect() -> None:
    """Drop this process's connection after a database restart; the next query reconnects."""
    from django.db import connection

    try:
        connection.close()
    except Exception:  # the server closed it first
        connection.connection = None


def settled() -> bool:
    """No import pending, no run going, nobody held, nobody consenting and due."""
    from django.utils import timezone

    from scoring.models import RUN_ENDED, ScoringRun, ScoringState
    from scoring.services.runs import scorable_members
    from signals.models import ImportJob, ImportStatus

    pending = [ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.SCORING]
    return not (
        ImportJob.objects.filter(status__in=pending).exists()
        or ScoringRun.objects.exclude(status__in=RUN_ENDED).exists()
        or ScoringState.objects.filter(claimed_run__isnull=False).exists()
        or ScoringState.objects.filter(
            user__in=scorable_members(), next_score_due__lte=timezone.now()
        ).exists()
    )


def janitor_after_runs_outlive() -> dict[str, int]:
    """The janitor's tick once live runs have outlived ``RUN_LIVE_SECONDS``: their rows are
    aged by that much (the clock of the worker processes cannot be moved), then
    ``runs_sweep`` runs as beat would start it."""
    from django.db.models import F

    from scoring.models import RUN_ENDED, ScoringRun, ScoringState
    from scoring.services.runs import RUN_LIVE_SECONDS, runs_sweep

    age = timedelta(seconds=RUN_LIVE_SECONDS + 60)
    live = ScoringRun.objects.exclude(status__in=RUN_ENDED)
    ids = list(live.values_list("pk", flat=True))
    ScoringRun.objects.filter(pk__in=ids).update(created_at=F("created_at") - age)
    ScoringState.objects.filter(claimed_run__in=ids).update(claimed_at=F("claimed_at") - age)
    return runs_sweep()


# --- The invariants -------------------------------------------------------------------


def invariants(*, withdrew: list[int]) -> list[str]:
    """Every import done once or refused, never half-stored; every consenting member with
    data has exactly one current score and one snapshot per run; nothing of those who
    withdrew; every run ended, no artefact left."""
    from django.db.models import Count

    from scoring.models import (
        RUN_ENDED,
        RunArtefact,
        RunStatus,
        Score,
        ScoreSnapshot,
        ScoringRun,
        ScoringState,
    )
    from scoring.services.runs import scorable_members
    from signals.models import Follow, ImportedContent, ImportJob, ImportStatus, Post, Source

    problems = []
    for job in ImportJob.objects.all():
        if job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
            problems.append(f"import {job.pk} of member {job.user_id} left {job.status}")
        if job.file:
            problems.append(f"import {job.pk} kept its file {job.file.name}")
    for user_id, rows in expected.items():
        if user_id in withdrew:
            continue
        done = ImportJob.objects.filter(user_id=user_id, status=ImportStatus.DONE).count()
        jobs = ImportJob.objects.filter(user_id=user_id).count()
        sources = Source.objects.filter(user_id=user_id)
        if jobs and not done:  # refused: nothing stored
            if sources.exists():
                problems.append(f"member {user_id}'s refused import stored a source")
            continue
        if sources.count() != 1:
            problems.append(f"member {user_id} has {sources.count()} sources, expected 1")
            continue
        source = sources.get()
        stored = {
            "posts": Post.objects.filter(source=source).count(),
            "follows": Follow.objects.filter(source=source).count(),
        }
        if stored != rows:
            problems.append(f"member {user_id}: stored {stored}, the archive holds {rows}")
        if ImportedContent.objects.filter(source=source).count() != 1:
            problems.append(f"member {user_id}'s archive is recorded as imported twice")
    if ScoringRun.objects.exclude(status__in=RUN_ENDED).exists():
        problems.append("a run has not ended")
    if RunArtefact.objects.exists():
        problems.append("run artefacts were left behind")
    if ScoringState.objects.filter(claimed_run__isnull=False).exists():
        problems.append("members are still held by a run")
    with_data = scorable_members().filter(sources__isnull=False).distinct()
    for user_id in with_data.values_list("pk", flat=True):
        scores = list(Score.objects.filter(user_id=user_id).values_list("run_id", flat=True))
        snaps = list(ScoreSnapshot.objects.filter(user_id=user_id).values_list("run_id", flat=True))
        if len(scores) != 1:
            problems.append(f"member {user_id} has {len(scores)} current scores")
        elif scores[0] not in snaps:
            problems.append(f"member {user_id}'s score has no snapshot of its run")
        elif not ScoringRun.objects.filter(
            pk=scores[0], status__in=[RunStatus.DONE, RunStatus.ABANDONED]
        ).exists():
            # A batch written before its run was abandoned stands: it was whole.
            problems.append(f"member {user_id}'s score comes from a run neither done nor abandoned")
        if len(snaps) != 1:
            runs = [
                (str(r.pk)[:8], r.status, r.created_at.strftime("%H:%M:%S.%f"))
                for r in ScoringRun.objects.filter(pk__in=snaps)
            ]
            problems.append(f"member {user_id} has {len(snaps)} snapshots, asked once: {runs}")
    twice = (
        ScoreSnapshot.objects.values("user_id", "run_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    if twice.exists():
        problems.append(f"{twice.count()} members have two snapshots of one run")
    for model in (Score, ScoreSnapshot, Source, Post, Follow, ScoringState):
        left = model.objects.filter(user_id__in=withdrew).count()  # type: ignore[attr-defined]
        if left:
            problems.append(f"{left} {model.__name__} rows of members who withdrew")
    figures["members"] = scorable_members().count()
    figures["runs"] = dict(
        ScoringRun.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return problems


# --- Scenarios ------------------------------------------------------------------------


def scoring_run_started(members: int) -> list[int]:
    """Seed members with data, start a run of batches of ``BATCH`` and return their ids."""
    from scoring.services.runs import scoring_dispatch, scoring_schedule_now

    ids = [member(n).pk for n in range(members)]
    for user_id in ids:
        scoring_schedule_now(user_id=user_id)
    assert scoring_dispatch(batch_size=BATCH) == members
    return ids


def first_scores() -> int:
    from scoring.models import Score

    return wait_for(
        lambda: Score.objects.count(), timeout=60, what="the first batch", interval=0.02
    )


def scored() -> int:
    from scoring.models import Score

    return Score.objects.count()


def kill_import() -> list[str]:
    """kill -9 of the worker while it reads an archive; the message comes back to a new
    worker after the visibility timeout."""
    from signals.models import ImportJob, ImportStatus

    victim = member(0, stored=False)
    others = [member(n, stored=False) for n in range(1, 4)]
    wanda = member(9, stored=False)
    first = worker()
    try:
        big = upload(victim, 0, fans=15_000, posts=8)
        for n, user in enumerate(others, start=1):
            upload(user, n)
        upload(wanda, 9)
        wait_for(
            lambda: ImportJob.objects.filter(
                pk=big.pk, status=ImportStatus.RUNNING, bytes_done__gt=0
            ).exists(),
            timeout=60,
            what="the big archive being read",
            interval=0.02,
        )
        first.kill()
    finally:
        first.stop()
    job = ImportJob.objects.get(pk=big.pk)
    figures["killed_at_bytes"] = f"{job.bytes_done} of {job.size}"
    withdraw(wanda)  # her import is still queued: it must be refused when it runs
    killed = time.monotonic()
    second = worker()
    try:
        wait_for(settled, timeout=120, what="imports and runs to settle\n" + second.output())
        figures["recovered_seconds"] = round(time.monotonic() - killed, 1)
    finally:
        second.stop()
    figures["imports"] = {job.user_id: job.status for job in ImportJob.objects.order_by("user_id")}
    return invariants(withdrew=[wanda.pk])


def kill_scoring() -> list[str]:
    """kill -9 of the worker mid-run: the batch it held comes back after the visibility
    timeout, the batches still queued go to the next worker."""
    first = worker()
    ids = scoring_run_started(MEMBERS)
    try:
        first_scores()
        first.kill()
    finally:
        first.stop()
    figures["scored_before_fault"] = scored()
    withdraw(_member(ids[-1]))
    killed = time.monotonic()
    second = worker()
    try:
        wait_for(settled, timeout=120, what="the run to end\n" + second.output())
        figures["recovered_seconds"] = round(time.monotonic() - killed, 1)
    finally:
        second.stop()
    return invariants(withdrew=[ids[-1]])


def _member(user_id: int) -> Any:
    from profiles.models import User

    return User.objects.get(pk=user_id)


def _after_lost_batches(ids: list[int], w: Any) -> list[str]:
    """After a fault that lost queued batches: the run waits for the janitor, which
    abandons it; the next dispatch scores whoever it had not scored yet."""
    from scoring.models import ScoringRun
    from scoring.services.runs import scoring_dispatch

    withdraw(_member(ids[-1]))
    # Whatever was still in the worker's hands finishes or fails; then nothing moves.
    time.sleep(3)
    figures["scored_after_fault"] = scored()
    figures["runs_going_after_fault"] = ScoringRun.objects.exclude(
        status__in=["done", "failed", "abandoned"]
    ).count()
    figures["janitor"] = janitor_after_runs_outlive()
    dispatched = scoring_dispatch(batch_size=BATCH)
    figures["dispatched_again"] = dispatched
    wait_for(settled, timeout=120, what="the next run to end\n" + w.output())
    return invariants(withdrew=[ids[-1]])


def redis_restart() -> list[str]:
    """Redis killed and started again, empty (no persistence), while a run's batches are
    queued and one is running."""
    w = worker()
    try:
        ids = scoring_run_started(MEMBERS)
        first_scores()  # the batches are all on the queue, one is done
        restarted = time.monotonic()
        REDIS.restart()
        # The worker reconnects (with back-off) and runs what it held in memory, which
        # kombu puts back on the new server; only then is the run left idle, as it would
        # be for the hour before the janitor's tick.
        wait_for(
            lambda: w.log.read_text(errors="replace").count("Connected to redis://") >= 2,
            timeout=60,
            what="the worker to reconnect",
        )
        figures["worker_reconnected_seconds"] = round(time.monotonic() - restarted, 1)
        return _after_lost_batches(ids, w)
    finally:
        w.stop()


def postgres_restart() -> list[str]:
    """PostgreSQL stopped at once (`pg_ctl stop -m immediate`, a crash) and started
    again while a run's batches are running."""
    w = worker()
    try:
        ids = scoring_run_started(MEMBERS)
        first_scores()
        PG.restart()
        db_reconnect()
        return _after_lost_batches(ids, w)
    finally:
        w.stop()


class Beat:
    """`celery beat` dispatching every second (SCORING_DISPATCH_SECONDS=1), its own
    process group, so kill() is a crash of beat alone."""

    def __init__(self, var: Path) -> None:
        import signal as _signal

        self._signal = _signal
        self.log = var / "beat.log"
        env = {**os.environ, "SCORING_DISPATCH_SECONDS": "1", "SCORING_SWEEP_SECONDS": "2"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "influence", "beat", "--loglevel", "INFO",
             "-s", str(var / "celerybeat-schedule")],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        os.killpg(self.proc.pid, self._signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def dispatches(w: Any) -> int:
    """Dispatch tasks the worker has run."""
    return w.log.read_text(errors="replace").count("scoring.tasks.scoring_dispatch[")


def queue_waiting(name: str = QUEUE) -> int:
    """Messages waiting on the worker's queue in the broker (not yet taken)."""
    from influence.celery import app

    with app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        return int(channel._size(name))  # every priority list of the queue, in Redis


def beat_sent_all_handled(w: Any) -> Callable[[], bool]:
    """A check: nothing waits on the queue, no run is going, and the worker has logged
    no new dispatch for two seconds."""
    seen = {"count": -1, "since": time.monotonic()}

    def check() -> bool:
        count = dispatches(w)
        if count != seen["count"]:
            seen.update(count=count, since=time.monotonic())
            return False
        quiet = time.monotonic() - seen["since"] >= 2
        return quiet and queue_waiting() == 0 and settled()

    return check


def beat_restart() -> list[str]:
    """Beat killed (-9) and started again while members become due: no member is claimed
    twice, no run is duplicated, and what fell due while beat was down is scored after."""
    from scoring.models import Score, ScoreSnapshot, ScoringRun
    from scoring.services.runs import scoring_schedule_now

    var = Path(os.environ["VAR_DIR"])
    ids = [member(n).pk for n in range(40)]
    first, second = ids[:20], ids[20:]
    w = worker()
    try:
        for user_id in first:
            scoring_schedule_now(user_id=user_id)
        beat = Beat(var)
        try:
            wait_for(lambda: Score.objects.count() == 20, timeout=60, what="the first 20 scores")
            beat.kill()
        finally:
            beat.stop()
        # What beat sent before it died is still worked off: on a slow machine dispatch
        # ticks queue up behind the runs. Only once none is left waiting or running is
        # beat really gone for the worker.
        wait_for(beat_sent_all_handled(w), timeout=60, what="beat's last dispatches")
        ticks = dispatches(w)
        for user_id in second:
            scoring_schedule_now(user_id=user_id)
        withdraw(_member(second[-1]))
        time.sleep(3)
        figures["scored_while_beat_down"] = Score.objects.count() - 20
        beat = Beat(var)
        try:
            wait_for(lambda: Score.objects.count() == 39, timeout=60, what="the other 19 scores")
            wait_for(settled, timeout=30, what="the runs to end")
            time.sleep(3)  # beat keeps ticking: nobody is due, no run is made
        finally:
            beat.stop()
        figures["dispatch_ticks"] = f"{ticks} before the kill, {dispatches(w)} in all"
    finally:
        w.stop()
    problems = invariants(withdrew=[second[-1]])
    used = set(ScoreSnapshot.objects.values_list("run_id", flat=True))
    if set(ScoringRun.objects.values_list("pk", flat=True)) != used:
        problems.append("a run was made that scored nobody, or runs were duplicated")
    figures["runs_used"] = len(used)
    return problems


SCENARIOS: dict[str, Callable[[], list[str]]] = {
    "kill_import": kill_import,
    "kill_scoring": kill_scoring,
    "redis_restart": redis_restart,
    "postgres_restart": postgres_restart,
    "beat_restart": beat_restart,
}


def main() -> int:
    name = sys.argv[1]
    started = time.monotonic()
    setup(name)
    try:
        problems = SCENARIOS[name]()
    except Exception:
        problems = [f"scenario failed:\n{traceback.format_exc()}"]
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps({"scenario": name, "problems": problems, "figures": figures}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
