"""Invariant 3: non-members' handles never reach logs, errors, task arguments or the broker."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

import pytest
from celery.signals import before_task_publish
from django.core.files.uploadedfile import SimpleUploadedFile

from influence.celery import app
from profiles.models import User
from scoring.models import ScoringRun
from scoring.services.runs import run_prepare, scoring_dispatch
from signals.archive import normalise_handle
from signals.services.imports import archive_import_create, archive_import_run
from tests.conftest import import_queue_of, private_queue
from tests.samples import COUNTERPARTS, archive_text

pytestmark = pytest.mark.django_db(transaction=True)


def needles() -> set[str]:
    names = {normalise_handle(h) for h in COUNTERPARTS} | {h.lower() for h in COUNTERPARTS}
    return {n for n in names | {n.split("@")[0] for n in names} if n}


def test_no_handle_reaches_a_log_line_or_a_broker_message(
    alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    published: list[str] = []

    def capture(sender: Any = None, body: Any = None, headers: Any = None, **_: Any) -> None:
        published.append(json.dumps([sender, body, headers], default=str))

    # Queues no worker listens to, the import queue too (imports are routed there): this
    # test runs the chain itself, in this process. On the session's import queue, the
    # worker an earlier test started could claim the import first, and its publishes and
    # log lines would escape this test (seen in CI: scoring_dispatch not published here).
    with private_queue() as queue:
        before_task_publish.connect(capture)
        caplog.set_level(logging.DEBUG)
        try:
            text = archive_text()
            job = archive_import_create(
                user=alice, upload=SimpleUploadedFile("a.jsonl", text.encode()), name="a.jsonl"
            )
            archive_import_run(job_id=job.pk)
            # A refused archive too: its error messages must not quote a handle.
            bad = archive_import_create(
                user=alice,
                upload=SimpleUploadedFile(
                    "b.jsonl", (text + text.splitlines()[-1][:-3] + "\n").encode()
                ),
                name="b.jsonl",
            )
            archive_import_run(job_id=bad.pk)
            bad.refresh_from_db()
            # The scoring chain the import started: dispatch, the run's preparation, batches.
            assert scoring_dispatch() == 1
            run_prepare(run_id=ScoringRun.objects.get().pk)
        finally:
            before_task_publish.disconnect(capture)
            with app.connection_for_write() as conn:
                for name in (queue, import_queue_of(queue)):
                    with contextlib.suppress(Exception):  # a queue nothing was sent to
                        conn.default_channel.queue_purge(name)  # type: ignore[attr-defined]

    # The import and every step of scoring went through the broker.
    for task in (
        "signals.tasks.archive_import_run",
        "scoring.tasks.scoring_dispatch",
        "scoring.tasks.run_prepare",
        "scoring.tasks.score_members",
    ):
        assert any(task in p for p in published), task
    assert bad.errors, "the broken archive was refused"
    haystacks = [*published, *(r.getMessage() for r in caplog.records), json.dumps(bad.errors)]
    for hay in haystacks:
        for needle in needles():
            assert needle not in hay.lower(), needle
