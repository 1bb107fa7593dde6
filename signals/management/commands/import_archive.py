"""manage.py import_archive --user EMAIL FILE: the operators' way in, same service as the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.models import User
from signals.models import ImportJob, ImportStatus
from signals.services.imports import ImportRefused, archive_import_create, archive_import_run


class Command(BaseCommand):
    help = "Import a signal archive (JSON Lines v1, optionally gzipped) for one member."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the member's email address")
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = User.objects.filter(email__iexact=options["user"]).first()
        if user is None:
            raise CommandError(f"No member with the email {options['user']}.")
        try:
            with path.open("rb") as fh:
                job = archive_import_create(
                    user=user, upload=File(fh, name=path.name), name=path.name, enqueue=False
                )
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        archive_import_run(job_id=job.pk)
        job = ImportJob.objects.get(pk=job.pk)
        if job.status == ImportStatus.FAILED:
            details = "\n".join(f"  line {e['line']}: {e['reason']}" for e in job.errors)
            raise CommandError(f"{job.message}\n{details}".rstrip())
        # Scoring is the worker's: the import asked the dispatcher for a score (never scored
        # here, where a second claim could rob a run the worker holds).
        self.stdout.write(self.style.SUCCESS(job.message))
        self.stdout.write("Queued for scoring; a worker scores the member shortly.")
