"""Data export (GDPR Art. 15 and 20): everything held about a member, as one JSON file.

A request creates a ``DataExport`` and enqueues ``build_data_export`` once committed. The
worker claims it with a conditional update, writes every registry holding's rows in turn
(updating the progress the page shows), and stores the file; the download link works only
for its member and only until ``expires_at``. Expired files are pruned by beat.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from profiles import enqueue
from profiles.models import AuditAction, DataExport, ExportStatus, NotificationKind, User
from profiles.pseudonyms import member_pseudonym
from profiles.registry import HOLDINGS, UNLINKED, Holding
from profiles.selectors import receipt_documents
from profiles.services.audit import audit_record

log = logging.getLogger(__name__)

FORMAT = "influence-export/1"
# A claim older than this is a build whose worker died; it may be claimed again.
STALE_AFTER = timedelta(hours=1)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def holding_row(holding: Holding, row: Model) -> dict[str, Any]:
    """One row as exported: every concrete field except the holding's secrets."""
    return {
        field.attname: _json_value(getattr(row, field.attname))
        for field in row._meta.concrete_fields
        if field.name not in holding.withheld_fields
    }


@transaction.atomic
def data_export_request(*, user: User) -> DataExport:
    """Start an export, or return the one already under way (a second click adds nothing)."""
    member = User.objects.select_for_update().get(pk=user.pk)
    running = DataExport.objects.filter(
        user=member, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).first()
    if running is not None:
        return running
    export = DataExport.objects.create(user=member, step="Waiting for a worker")
    audit_record(action=AuditAction.EXPORT_REQUESTED, subject=member, actor=member)
    enqueue.data_export_build(export_id=export.pk)
    return export


def _claim(export_id: uuid.UUID) -> DataExport | None:
    now = timezone.now()
    claimable = DataExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED)
    stale = DataExport.objects.filter(
        pk=export_id, status=ExportStatus.RUNNING, started_at__lt=now - STALE_AFTER
    )
    for candidates in (claimable, stale):
        if candidates.update(status=ExportStatus.RUNNING, started_at=now, progress=0) == 1:
            return DataExport.objects.select_related("user").get(pk=export_id)
    return None


def _progress(export_id: uuid.UUID, percent: int, step: str) -> None:
    DataExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        progress=percent, step=step[:200]
    )


def export_write(
    *, user: User, out: IO[str], on_step: Callable[[int, str], None] | None = None
) -> None:
    """Write the whole export of one member as JSON to ``out``, section by section."""
    sections = [h for h in HOLDINGS if h.exported]
    out.write("{")
    head = {
        "format": FORMAT,
        "generatedAt": timezone.now().isoformat(),
        "controller": settings.CONTROLLER_NAME,
        "member": {"email": user.email, "pseudonym": member_pseudonym(user.pk)},
        "about": (
            "Everything Influence holds about you. 'data' has one list per kind of record, "
            "named after the table; 'receipts' repeats your consent receipts decoded, each "
            "with the signed original (jws). People who interacted with you appear only as "
            "keyed hashes. Secrets (password hash, tokens, two-factor keys) are left out."
        ),
        "notExported": {
            **{h.model: h.what for h in HOLDINGS if not h.exported},
            **UNLINKED,
            **{
                f"{h.model}.{name}": "a credential, or someone else's data"
                for h in HOLDINGS
                for name in h.withheld_fields
            },
        },
    }
    for key, value in head.items():
        out.write(f"{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)},")
    out.write('"data":{')
    for index, holding in enumerate(sections):
        if on_step:
            on_step(int(100 * index / (len(sections) + 1)), holding.what)
        out.write(("," if index else "") + f"{json.dumps(holding.model)}:[")
        rows = holding.rows(user.pk).order_by("pk").iterator(chunk_size=2000)
        for n, row in enumerate(rows):
            out.write(
                ("," if n else "") + json.dumps(holding_row(holding, row), ensure_ascii=False)
            )
        out.write("]")
    out.write("},")
    if on_step:
        on_step(int(100 * len(sections) / (len(sections) + 1)), "your consent receipts")
    receipts = receipt_documents(user=user)["receipts"]
    out.write(f'"receipts":{json.dumps(receipts, ensure_ascii=False)}' + "}")


def data_export_build(*, export_id: uuid.UUID) -> str | None:
    """Build one export (the worker's job); a redelivered or finished one does nothing."""
    export = _claim(export_id)
    if export is None:
        return None
    name = f"exports/{export_id}.json"
    try:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:

            def step(percent: int, what: str) -> None:
                _progress(export_id, percent, f"Collecting {what}")

            export_write(user=export.user, out=out, on_step=step)
            size = out.tell()
            out.seek(0)
            stored = default_storage.save(name, File(out, name=name))
    except Exception as exc:
        log.exception("export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            message=f"The export failed ({type(exc).__name__}); please try again.",
        )
        raise
    now = timezone.now()
    done = DataExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        progress=100,
        step="Ready",
        file=stored,
        size=size,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.EXPORT_TTL_HOURS),
    )
    if not done:
        # The account was erased (or the export pruned) while we wrote: keep nothing.
        default_storage.delete(stored)
        return None
    from profiles.services.notifications import notification_send

    notification_send(
        user_id=export.user_id,
        kind=NotificationKind.EXPORT_READY,
        title="Your data export is ready",
        body=f"You can download it for {settings.EXPORT_TTL_HOURS} hours.",
        url=reverse("data_export"),
    )
    return ExportStatus.DONE


def data_export_downloaded(*, export: DataExport) -> None:
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        subject=export.user,
        actor=export.user,
        detail={"export": str(export.pk)},
    )


def data_exports_prune(*, now: datetime | None = None) -> int:
    """Delete expired exports and their files; fail builds whose worker died. Returns count."""
    now = now or timezone.now()
    DataExport.objects.filter(
        status=ExportStatus.RUNNING, started_at__lt=now - STALE_AFTER * 24
    ).update(status=ExportStatus.FAILED, finished_at=now, message="The export was interrupted.")
    expired = list(DataExport.objects.filter(expires_at__lte=now).values_list("pk", "file"))
    for pk, name in expired:
        if DataExport.objects.filter(pk=pk).delete()[0] and name:
            default_storage.delete(name)
    return len(expired)
