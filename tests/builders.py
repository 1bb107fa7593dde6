"""Builders shared by test modules, so no test module is imported as a library."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from profiles.models import User
from signals.models import ImportJob
from signals.services.imports import archive_import_create, archive_import_run
from tests.samples import archive_text

# A complete, valid sign-up form: the required terms and age, no optional purpose.
SIGNUP_FORM = {
    "email": "new@example.org",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
    "age_confirmed": "on",
    "consent_terms": "on",
}


def imported(user: User, tags: list[str] | None = None) -> ImportJob:
    """Import a sample archive for the member in this process (the service the worker runs),
    without scoring it."""
    text = archive_text(handle=f"{user.email.split('@')[0]}@example.social", tags=tags)
    job = archive_import_create(
        user=user, upload=SimpleUploadedFile("a.jsonl", text.encode()), name="a.jsonl"
    )
    archive_import_run(job_id=job.pk)
    return job
