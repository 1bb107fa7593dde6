"""The load scenario's 30-second smoke run (issue 13): the same code as
``python -m benchmarks.load``, against gunicorn, a real Celery worker, PostgreSQL and Redis,
on the test database. Every endpoint is hit and nothing fails; no timing is asserted (the
figures are in docs/benchmarks.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.load import ENDPOINTS, locust_run, population_seed, stack_running
from signals.models import ImportJob, ImportStatus
from tests.conftest import wait_for


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_30_second_load_hits_every_endpoint_with_no_failure(tmp_path: Path) -> None:
    population = population_seed(members=6, prefix="smoke", form_signins=3)
    with stack_running(
        web_workers=2, worker_concurrency=1, logs=tmp_path / "logs", manifest=False
    ) as stack:
        result = locust_run(
            url=stack.url, population=population, users=20, spawn_rate=10, seconds=30,
            out=tmp_path / "locust",
        )  # fmt: skip
        # The uploads reached the real worker, which imported them.
        wait_for(
            lambda: ImportJob.objects.filter(status=ImportStatus.DONE).exists(),
            timeout=30,
            what="an archive imported by the worker",
        )
        assert stack.web.poll() is None and stack.worker.poll() is None
    for proc in (stack.web, stack.worker):  # stopped, with every process they started
        assert proc.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)

    log = (tmp_path / "locust" / "locust.log").read_text()[-3000:]
    assert result.failures == [], log
    assert result.total.failures == 0, result.table()
    missed = [name for name in ENDPOINTS if result.endpoints.get(name, None) is None
              or result.endpoints[name].requests == 0]  # fmt: skip
    assert missed == [], result.table()
    assert set(result.endpoints) == set(ENDPOINTS), result.table()  # nothing unexpected
