"""A real `celery worker` process on the configured broker (Redis in CI) runs the slice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_withdraw
from scoring.models import Score
from signals.models import Engagement, ImportJob, ImportStatus
from signals.services.imports import archive_import_create
from tests.conftest import WorkerProcess, wait_for
from tests.samples import archive_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_enqueued_import_is_read_and_scored_by_the_worker(
    alice: User, celery_worker_process: WorkerProcess
) -> None:
    job = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl", archive_text().encode()), name="a.jsonl"
    )

    wait_for(
        lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.DONE).exists(),
        timeout=60,
        what=f"the import to finish; worker log:\n{celery_worker_process.output()}",
    )
    score = Score.objects.get(user=alice)
    assert score.value > 1
    assert sum(Decimal(v) for v in score.components.values()) == score.value
    assert Engagement.objects.filter(user=alice).exists()

    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert not Score.objects.filter(user=alice).exists()
    assert not Engagement.objects.filter(user=alice).exists()


def test_the_worker_refuses_a_bad_archive_with_its_line_number(
    alice: User, celery_worker_process: WorkerProcess
) -> None:
    text = archive_text() + '{"type":"nonsense"}\n'
    job = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl", text.encode()), name="a.jsonl"
    )
    wait_for(
        lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.FAILED).exists(),
        timeout=60,
        what="the import to be refused",
    )
    job.refresh_from_db()
    assert job.errors[0]["line"] == text.count("\n")
    assert not Engagement.objects.exists()
    assert not Score.objects.exists()
