"""Builders shared by the worker tests: members with signals stored through the service."""

from __future__ import annotations

import io

from django.conf import settings

from profiles.models import User
from profiles.purposes import Purpose
from signals.archive import read_archive
from signals.models import SourceKind
from signals.services.imports import signals_store
from tests.conftest import make_member
from tests.samples import archive_text


def member_with_signals(n: int, prefix: str = "racer") -> User:
    """A member with scoring consent and one imported archive of a few interactions."""
    user = make_member(f"{prefix}{n}@example.org", [Purpose.SCORING])
    text = archive_text(handle=f"{prefix}{n}@example.social", counterparts=[f"fan{n}@x.social"])
    archive = read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)
    signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    return user
