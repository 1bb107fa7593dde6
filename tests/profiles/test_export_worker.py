"""The export as a member sees it: one click, a real worker builds it, progress, download."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from profiles.models import DataExport, ExportStatus
from tests.conftest import WorkerProcess, make_member, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_builds_the_export_and_the_page_follows_it(
    celery_worker_process: WorkerProcess,
) -> None:
    member = make_member("exporter@example.org", ["scoring"])
    client = Client()
    client.force_login(member)
    client.post(reverse("data_export"))
    export = DataExport.objects.get(user=member)
    wait_for(
        lambda: DataExport.objects.filter(pk=export.pk, status=ExportStatus.DONE).exists(),
        timeout=60,
        what=f"the export; worker log:\n{celery_worker_process.output()}",
    )
    page = client.get(reverse("data_export")).content.decode()
    assert 'data-testid="export-status">Ready<' in page
    response = client.get(reverse("data_export_download", args=[export.pk]))
    document = json.loads(response.getvalue())
    assert document["member"]["email"] == "exporter@example.org"
    assert len(document["data"]["profiles.ConsentRecord"]) == 2
    from django.core.files.storage import default_storage

    export.refresh_from_db()
    default_storage.delete(str(export.file.name))
