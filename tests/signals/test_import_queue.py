"""Imports run on a queue of their own, so scoring never waits behind them (issue 13)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from influence.celery import app
from profiles.models import User
from scoring import enqueue as scoring_enqueue
from scoring.models import Score
from signals import enqueue
from signals.models import ImportJob, ImportStatus
from signals.services.imports import archive_import_create, archive_import_run
from tests.conftest import TEST_QUEUE, WorkerProcess, import_queue_of, private_queue, wait_for
from tests.samples import archive_text


def queue_of(name: str) -> str:
    route = app.amqp.router.route({}, name, args=(), kwargs={})
    return str(route["queue"].name)


def test_imports_are_routed_to_the_import_queue_and_the_rest_to_the_default() -> None:
    assert settings.CELERY_IMPORT_QUEUE == import_queue_of(TEST_QUEUE)

    assert queue_of(enqueue.ARCHIVE_IMPORT_RUN) == settings.CELERY_IMPORT_QUEUE
    assert queue_of("scoring.tasks.import_archive") == settings.CELERY_IMPORT_QUEUE  # old name
    for name in (*scoring_enqueue.TASK_NAMES, enqueue.SOURCE_SYNC_RUN, enqueue.SIGNALS_PRUNE):
        assert queue_of(name) == TEST_QUEUE


def test_the_import_queue_is_a_setting_read_at_each_send(settings: object) -> None:
    settings.CELERY_IMPORT_QUEUE = "imports-elsewhere"  # type: ignore[attr-defined]

    assert queue_of(enqueue.ARCHIVE_IMPORT_RUN) == "imports-elsewhere"


@pytest.mark.django_db(transaction=True)
def test_scoring_runs_while_an_import_waits_and_the_import_worker_takes_it(alice: User) -> None:
    first = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl", archive_text().encode()), name="a"
    )
    with private_queue() as queue:
        archive_import_run(job_id=first.pk)  # alice has data, and a score is requested
        text = archive_text(counterparts=["newcomer@else.where"])
        waiting = archive_import_create(
            user=alice, upload=SimpleUploadedFile("b.jsonl", text.encode()), name="b"
        )
        scoring_only = WorkerProcess(queue=queue, imports=False)
        try:
            wait_for(
                lambda: Score.objects.filter(user=alice).exists(),
                timeout=90,
                what=f"the score; worker log:\n{scoring_only.output()}",
            )
            assert ImportJob.objects.get(pk=waiting.pk).status == ImportStatus.QUEUED
        finally:
            scoring_only.stop()
        both = WorkerProcess(queue=queue)
        try:
            wait_for(
                lambda: ImportJob.objects.filter(pk=waiting.pk, status=ImportStatus.DONE).exists(),
                timeout=90,
                what=f"the import; worker log:\n{both.output()}",
            )
        finally:
            both.stop()
