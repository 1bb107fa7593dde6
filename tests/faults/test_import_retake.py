"""A redelivered import message takes up the job its dead worker left running (#13)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from profiles.models import User
from signals.models import ImportJob, ImportStatus, Source
from signals.services.imports import archive_import_create, archive_import_run
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def job_left_running(user: User) -> ImportJob:
    """An import whose worker died while reading it: claimed, never finished."""
    job = archive_import_create(
        user=user, upload=ContentFile(archive_text().encode()), name="a.jsonl", enqueue=False
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    return job


def test_a_first_delivery_leaves_a_running_job_alone(alice: User) -> None:
    job = job_left_running(alice)
    assert archive_import_run(job_id=job.pk) is None
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.RUNNING
    assert not Source.objects.filter(user=alice).exists()


def test_a_redelivery_takes_up_the_job_and_stores_it_once(alice: User) -> None:
    job = job_left_running(alice)
    assert archive_import_run(job_id=job.pk, retake=True) == ImportStatus.SCORING
    job.refresh_from_db()
    assert job.status == ImportStatus.SCORING and not job.file
    assert Source.objects.filter(user=alice).count() == 1
    # A second redelivery (the job has moved on) changes nothing.
    assert archive_import_run(job_id=job.pk, retake=True) is None


def test_a_redelivery_whose_file_is_gone_refuses_the_import(alice: User) -> None:
    job = job_left_running(alice)
    job.file.delete(save=False)
    assert archive_import_run(job_id=job.pk, retake=True) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "upload it again" in job.message
    assert not Source.objects.filter(user=alice).exists()
