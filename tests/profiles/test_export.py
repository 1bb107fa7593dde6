"""Export (Art. 15 and 20): everything held about a member, for that member only."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from profiles.models import AuditAction, AuditEntry, DataExport, ExportStatus, User
from profiles.receipts import receipt_verify
from profiles.registry import HOLDINGS
from profiles.services.exports import (
    data_export_build,
    data_export_request,
    data_exports_prune,
    export_write,
)
from tests.profiles.conftest import ALICE_GITHUB_LOGIN, ALICE_HANDLE, SECRETS

pytestmark = pytest.mark.django_db


def export_of(user: User) -> tuple[dict, str]:
    out = io.StringIO()
    export_write(user=user, out=out)
    text = out.getvalue()
    return json.loads(text), text


def test_the_export_holds_every_row_of_every_registry_holding(rich_alice: User) -> None:
    document, _ = export_of(rich_alice)
    exported = [h for h in HOLDINGS if h.exported]
    assert set(document["data"]) == {h.model for h in exported}
    for holding in exported:
        rows = document["data"][holding.model]
        held = holding.rows(rich_alice.pk).count()
        assert held > 0, f"the fixture leaves {holding.model} empty: the check would be hollow"
        assert len(rows) == held, holding.model
        for row in rows:
            for secret in holding.withheld_fields:
                assert secret not in row


def test_the_export_names_the_member_and_carries_genuine_receipts(rich_alice: User) -> None:
    document, text = export_of(rich_alice)
    assert document["member"]["email"] == rich_alice.email
    assert ALICE_HANDLE in text and ALICE_GITHUB_LOGIN in text
    assert len(document["receipts"]) == rich_alice.consent_records.count()
    assert all(receipt_verify(r["jws"]).genuine for r in document["receipts"])
    score = document["data"]["scoring.Score"][0]
    assert score["components"] and score["value"]


def test_the_export_leaves_out_secrets_and_other_members(rich_alice: User, mallory: User) -> None:
    _, text = export_of(rich_alice)
    for secret in SECRETS:
        assert secret not in text
    assert rich_alice.password not in text
    assert mallory.email not in text


def test_a_request_is_audited_and_a_second_click_adds_nothing(
    alice: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        first = data_export_request(user=alice)
    assert len(callbacks) == 1  # the build is enqueued after commit, not before
    assert data_export_request(user=alice) == first
    assert DataExport.objects.filter(user=alice).count() == 1
    assert (
        AuditEntry.objects.filter(subject=alice, action=AuditAction.EXPORT_REQUESTED).count() == 1
    )


def test_the_build_writes_the_file_once_and_a_redelivery_does_nothing(
    alice: User, media: Path
) -> None:
    export = data_export_request(user=alice)
    assert data_export_build(export_id=export.pk) == ExportStatus.DONE
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.progress == 100
    assert export.expires_at and export.expires_at > timezone.now() + timedelta(hours=23)
    assert default_storage.exists(str(export.file.name))
    assert json.loads(default_storage.open(str(export.file.name)).read())["member"]["email"]
    assert data_export_build(export_id=export.pk) is None
    assert len(list((media / "exports").iterdir())) == 1


def test_the_export_file_is_readable_by_its_owner_only(alice: User, media: Path) -> None:
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert (media / str(export.file.name)).stat().st_mode & 0o777 == 0o600
    assert (media / "exports").stat().st_mode & 0o777 == 0o700


def test_the_page_shows_progress_and_refreshes_itself_until_done(client, alice: User) -> None:
    export = data_export_request(user=alice)
    DataExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, progress=40, step="Collecting your score history"
    )
    client.force_login(alice)
    page = client.get(reverse("data_export")).content.decode()
    assert 'value="40"' in page and "Collecting your score history" in page
    assert 'http-equiv="refresh"' in page
    status = client.get(reverse("data_export_status", args=[export.pk])).json()
    assert status == {"status": "running", "progress": 40, "step": "Collecting your score history"}


def test_the_member_downloads_their_export_and_the_download_is_audited(
    client, alice: User, media: Path
) -> None:
    client.force_login(alice)
    client.post(reverse("data_export"))
    export = DataExport.objects.get(user=alice)
    data_export_build(export_id=export.pk)
    page = client.get(reverse("data_export")).content.decode()
    url = reverse("data_export_download", args=[export.pk])
    assert url in page and 'http-equiv="refresh"' not in page
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(b"".join(response.streaming_content))["member"]["email"] == alice.email
    assert AuditEntry.objects.filter(subject=alice, action=AuditAction.EXPORT_DOWNLOADED).exists()


def test_an_export_whose_file_is_gone_answers_404_on_the_page_and_the_api(
    client, alice: User, media: Path
) -> None:
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.file.name
    export.file.storage.delete(export.file.name)
    client.force_login(alice)
    assert client.get(reverse("data_export_download", args=[export.pk])).status_code == 404
    api = client.get(f"/api/v1/me/export/{export.pk}/download")
    assert api.status_code == 404 and "request a new export" in api.json()["detail"]
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT_DOWNLOADED).exists()


def test_no_one_else_can_download_or_watch_an_export(
    client, alice: User, mallory: User, media: Path
) -> None:
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    for name in ("data_export_download", "data_export_status"):
        url = reverse(name, args=[export.pk])
        assert client.get(url).status_code == 302  # anonymous: to sign in
        client.force_login(mallory)
        assert client.get(url).status_code == 404
        client.logout()


def test_an_expired_link_answers_404_and_beat_removes_the_file(
    client, alice: User, media: Path
) -> None:
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    client.force_login(alice)
    assert client.get(reverse("data_export_download", args=[export.pk])).status_code == 404
    assert data_exports_prune() == 1
    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert not default_storage.exists(str(export.file.name))


def test_an_export_of_an_account_erased_meanwhile_writes_nothing(alice: User, media: Path) -> None:
    from profiles.services.erasure import account_erase

    export = data_export_request(user=alice)
    account_erase(user=alice)
    assert data_export_build(export_id=export.pk) is None
    assert not (media / "exports").exists() or not list((media / "exports").iterdir())
