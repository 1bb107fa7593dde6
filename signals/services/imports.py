"""Archive import: one service for every way in (upload page, API, management command).

The worker reads and validates the whole file before anything is stored, then writes the
aggregates in one transaction that re-checks the member's scoring consent under the member
row lock. The raw file, which holds counterpart handles in clear, is deleted as soon as it
has been read, whatever the outcome.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import IO, BinaryIO, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from profiles.models import NotificationKind, User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from profiles.services.notifications import notification_send
from signals import enqueue as queue
from signals import hooks
from signals.archive import Archive, ArchiveInvalid, read_archive
from signals.models import Engagement, ImportedContent, ImportJob, ImportStatus, Source, SourceKind
from signals.services.rows import source_signals_replace

log = logging.getLogger(__name__)


class ImportRefused(Exception):
    """An import that cannot go ahead; the message is for the member."""


def archive_import_create(
    *, user: User, upload: UploadedFile | IO[bytes], name: str, enqueue: bool = True
) -> ImportJob:
    """Accept an archive for import and queue it.

    Refuses, storing nothing, without scoring consent, for an empty or oversized file, and
    while another of the member's imports is queued or running (one at a time, so one
    member cannot fill the import workers). With ``enqueue=False`` the caller runs
    ``archive_import_run`` itself (the operators' command does, in its own process).
    """
    size = getattr(upload, "size", None) or 0
    with transaction.atomic():
        # The member row lock orders concurrent uploads by one member; the partial unique
        # index one_pending_import_per_member backs the check up.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if not has_active_consent(user_id=user.pk, purpose=Purpose.SCORING):
            raise ImportRefused(
                "Importing an archive needs your consent to “Score my activity”. "
                "Grant it in the consent centre first."
            )
        if size > settings.IMPORT_MAX_BYTES:
            raise ImportRefused(_too_large_message())
        if size == 0:
            raise ImportRefused("The file is empty.")
        if import_pending(user=user) is not None:
            raise ImportRefused(PENDING_MESSAGE)
        job = ImportJob(user=user, original_name=name[:255], size=size)
        job.file.save(f"{uuid.uuid4().hex}.jsonl", upload, save=False)  # type: ignore[arg-type]
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:
            job.file.delete(save=False)
            raise ImportRefused(PENDING_MESSAGE) from None
        except BaseException:
            job.file.delete(save=False)
            raise
        if enqueue:
            queue.archive_import_run(job_id=job.pk)
    return job


PENDING_MESSAGE = (
    "You already have an import waiting or running. Wait for it to finish, then upload "
    "this file again; nothing was stored."
)


def import_pending(*, user: User) -> ImportJob | None:
    """The member's queued or running import, if any."""
    return (
        ImportJob.objects.filter(
            user_id=user.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
        )
        .order_by("created_at")
        .first()
    )


def _too_large_message() -> str:
    from django.template.defaultfilters import filesizeformat

    return f"The file is larger than the {filesizeformat(settings.IMPORT_MAX_BYTES)} limit."


def _update_progress(job_id: uuid.UUID, bytes_done: int, lines: int) -> None:
    ImportJob.objects.filter(pk=job_id).update(bytes_done=bytes_done, lines_done=lines)


def _fail(job: ImportJob, *, message: str, errors: list[dict[str, object]] | None = None) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        message=message[:500],
        errors=errors or [],
        finished_at=timezone.now(),
    )
    notification_send(
        user_id=job.user_id,
        kind=NotificationKind.IMPORT_REFUSED,
        title="Your import was refused; nothing was stored",
        body=message[:500],
        url=reverse("import_detail", args=[job.pk]),
    )


def _discard_file(job: ImportJob) -> None:
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def archive_import_run(*, job_id: uuid.UUID, retake: bool = False) -> ImportStatus | None:
    """Run one queued import. Idempotent: a job already claimed or finished is left alone.

    ``retake``: the worker that claimed the job died while reading it (its message was
    redelivered), so a job left running is taken up again; the store is one transaction,
    so nothing of the first attempt was kept, and an archive already stored is not added
    twice.
    """
    claimable = [ImportStatus.QUEUED, ImportStatus.RUNNING] if retake else [ImportStatus.QUEUED]
    claimed = ImportJob.objects.filter(pk=job_id, status__in=claimable).update(
        status=ImportStatus.RUNNING
    )
    if claimed != 1:
        return None
    job = ImportJob.objects.get(pk=job_id)
    if not job.file.name or not job.file.storage.exists(job.file.name):
        _fail(job, message="The uploaded file was lost before it was read; please upload it again.")
        return ImportStatus.FAILED
    try:
        try:
            with job.file.open("rb") as fh:
                archive = read_archive(
                    cast(BinaryIO, fh),
                    secret=settings.HANDLE_HASH_KEY,
                    max_bytes=settings.IMPORT_MAX_BYTES,
                    max_counterparts=settings.IMPORT_MAX_COUNTERPARTS,
                    max_posts=settings.IMPORT_MAX_POSTS,
                    max_keywords=settings.IMPORT_MAX_KEYWORDS,
                    progress=lambda b, n: _update_progress(job.pk, b, n),
                )
        except ArchiveInvalid as exc:
            _fail(
                job,
                message="The archive was refused; nothing was stored.",
                errors=[{"line": e.line, "reason": e.reason} for e in exc.errors],
            )
            return ImportStatus.FAILED
        try:
            source, added = signals_store(
                user_id=job.user_id, archive=archive, kind=SourceKind.ARCHIVE, verified=False
            )
        except ImportRefused as exc:
            _fail(job, message=str(exc))
            return ImportStatus.FAILED
        message = (
            f"Imported {archive.interactions:,} interactions from {len(archive.posts):,} posts."
            if added
            else "This archive was already imported; nothing new was added."
        )
        ImportJob.objects.filter(pk=job.pk).update(
            source=source,
            status=ImportStatus.SCORING,
            bytes_done=archive.bytes_read,
            lines_done=archive.lines,
            interactions=archive.interactions,
            content_sha256=archive.content_sha256,
            message=message,
        )
        hooks.member_data_changed.send(user_id=job.user_id)
        return ImportStatus.SCORING
    finally:
        _discard_file(job)


@transaction.atomic
def signals_store(
    *, user_id: int, archive: Archive, kind: SourceKind, verified: bool
) -> tuple[Source, bool]:
    """Replace one source's signals with an archive's aggregates, under the consent lock.

    Returns the source and whether anything was added (False when this exact content was
    already imported). A newer archive of the same account replaces the older one's rows,
    since an export is the whole picture at its time.
    """
    member = User.objects.select_for_update().get(pk=user_id)
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        raise ImportRefused(
            "Your consent to “Score my activity” was withdrawn, so nothing was stored."
        )
    if connection.vendor == "postgresql":
        # Don't wait for the WAL flush of a large write: a crash right after may lose this
        # one import (never a partial one), and the stale-import sweep tells the member.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    from signals.archive import make_hasher

    account = archive.account
    handle_hash = make_hasher(settings.HANDLE_HASH_KEY, account.network)(account.handle)
    # An archive is a self-reported claim: it never blocks, nor is blocked by, another
    # member's claim of the same handle, so nothing here tells whether one exists. Only
    # a verified claim is exclusive; the scoring graph gives the handle's one node to
    # its verified owner, or to its only claimant (docs/archive-format.md).
    source = Source.objects.select_for_update().filter(user=member, handle_hash=handle_hash).first()
    if source is not None and source.verified and not verified:
        raise ImportRefused(
            "This account is connected and verified; its data comes from the connection, "
            "so the archive was not imported."
        )
    if source is None:
        source = Source.objects.create(
            user=member,
            kind=kind,
            network=account.network,
            handle=account.handle,
            handle_hash=handle_hash,
            verified=verified,
        )
    if ImportedContent.objects.filter(
        source=source, content_sha256=archive.content_sha256
    ).exists():
        return source, False

    Source.objects.filter(pk=source.pk).update(
        followers_count=account.followers,
        following_count=account.following,
        account_created_at=account.created_at,
        last_synced_at=timezone.now(),
    )
    source_signals_replace(source, archive)
    ImportedContent.objects.create(source=source, content_sha256=archive.content_sha256)
    log.info("stored archive for member %s: %s interactions", member.pk, archive.interactions)
    return source, True


def imports_prune_stale(*, older_than_hours: int = 24) -> int:
    """Fail imports stuck in the queue for a day and delete their files; returns the count."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    stuck = ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], created_at__lt=cutoff
    )
    count = 0
    for job in stuck:
        _discard_file(job)
        _fail(job, message="The import did not finish in time; please upload the file again.")
        count += 1
    return count


def signals_prune(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete per-counterpart engagement detail last seen before the retention window.

    Per-post aggregates (distinct engagers and counts by kind) and source totals stay; only
    rows that carry a counterpart hash go. Returns how many rows were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=days if days is not None else settings.SIGNAL_RETENTION_DAYS)
    deleted, _ = Engagement.objects.filter(last_at__lt=cutoff).delete()
    return deleted
