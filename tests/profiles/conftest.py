"""Helpers for the people tests: a member with real signals and a real score."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

import pytest
from django.conf import settings

from profiles.models import User
from profiles.purposes import PURPOSES
from scoring.archive import read_archive
from scoring.models import Score, SourceKind
from scoring.services.imports import signals_store
from scoring.services.scores import score_members_now
from tests.samples import archive_text


def give_score(user: User, *, handle: str | None = None) -> Score:
    """Store an archive's signals for the member and score them, through the services."""
    handle = handle or f"{user.email.split('@')[0]}@example.social"
    text = archive_text(handle=handle)
    archive = read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)
    signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    assert score_members_now(user_id=user.pk) == 1
    return Score.objects.get(user=user)


@pytest.fixture
def new_policy(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Publish a new version of a purpose's text, as a deploy that changes it would."""

    def publish(purpose: str) -> None:
        old = PURPOSES[purpose]
        monkeypatch.setitem(
            PURPOSES,
            purpose,
            replace(old, version="2099-01", text=old.text + " We now also say this."),
        )

    return publish
