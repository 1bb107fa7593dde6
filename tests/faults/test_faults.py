"""Faults (#13) with real processes: workers killed, Redis and PostgreSQL restarted, beat
killed. Each scenario runs in its own process (tests/faults/scenario.py) against private
PostgreSQL and Redis servers started here, in a temp dir on free ports, never the shared
ones; each ends by checking the invariants in the database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.servers import Postgres, Redis, binaries_missing, free_port

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("scenario.py")
TEMPLATE = "faults_template"

pytestmark = [
    pytest.mark.worker,
    # Under pytest-xdist (make test), in one process: they share the servers fixture.
    pytest.mark.xdist_group("faults"),
    pytest.mark.skipif(
        binaries_missing() is not None,
        reason="the fault tests start their own PostgreSQL and Redis servers: "
        f"{binaries_missing()}",
    ),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """A private PostgreSQL cluster and Redis server, and a migrated template database."""
    root = Path(tempfile.mkdtemp(prefix="influence-faults-"))
    pg = Postgres(root / "pg", free_port())
    redis = Redis(root / "redis", free_port())
    pg.init()
    try:
        redis.start()
        pg.psql(f"CREATE DATABASE {TEMPLATE}")
        env = {
            **os.environ,
            "DATABASE_URL": pg.url(TEMPLATE),
            "REDIS_URL": redis.url(),
            "VAR_DIR": str(root / "var"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        yield {
            "FAULT_PG_ROOT": str(pg.root),
            "FAULT_PG_PORT": str(pg.port),
            "FAULT_REDIS_ROOT": str(redis.root),
            "FAULT_REDIS_PORT": str(redis.port),
            "FAULT_TEMPLATE": TEMPLATE,
        }
    finally:
        redis.stop()
        # The scenario may have restarted either server: stop whatever runs now.
        subprocess.run(["redis-cli", "-p", str(redis.port), "shutdown", "nosave"],
                       capture_output=True)  # fmt: skip
        try:
            pg.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


def scenario_run(name: str, servers: dict[str, str], redis_db: int) -> dict[str, Any]:
    env = {**os.environ, **servers, "FAULT_REDIS_DB": str(redis_db)}
    for key in ("DATABASE_URL", "REDIS_URL", "VAR_DIR", "CELERY_QUEUE", "CELERY_IMPORT_QUEUE"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, str(SCENARIO), name],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"scenario {name} crashed:\n{done.stderr[-5000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    print(f"\n{name}: {result['figures']}")
    assert result["problems"] == [], "\n".join(result["problems"])
    return result


def lost_batches_recovered(figures: dict[str, Any]) -> None:
    """The fault lost part of the run, which waited for the janitor; the janitor abandoned
    it and the next dispatch scored the rest."""
    # The scenario's members, less the one who withdrew after the fault.
    members = figures["members"]
    assert figures["scored_after_fault"] < members, "the run finished before the fault"
    assert figures["runs_going_after_fault"] == 1
    assert figures["janitor"]["abandoned"] == 1
    assert figures["dispatched_again"] == members - figures["scored_after_fault"]


def test_worker_killed_mid_import(servers: dict[str, str]) -> None:
    result = scenario_run("kill_import", servers, 1)
    # The archive being read when the worker died was taken up again and stored once.
    assert set(result["figures"]["imports"].values()) == {"done"}


def test_worker_killed_mid_scoring_run(servers: dict[str, str]) -> None:
    result = scenario_run("kill_scoring", servers, 2)
    assert result["figures"]["scored_before_fault"] < result["figures"]["members"]


def test_redis_restarted_mid_run(servers: dict[str, str]) -> None:
    result = scenario_run("redis_restart", servers, 3)
    lost_batches_recovered(result["figures"])


def test_postgres_restarted_mid_run(servers: dict[str, str]) -> None:
    result = scenario_run("postgres_restart", servers, 4)
    lost_batches_recovered(result["figures"])


def test_beat_killed_and_restarted_makes_no_duplicate_run(servers: dict[str, str]) -> None:
    result = scenario_run("beat_restart", servers, 5)
    # Nothing is dispatched while beat is down; after, the members due meanwhile are scored.
    assert result["figures"]["scored_while_beat_down"] == 0
    assert result["figures"]["runs_used"] >= 2
