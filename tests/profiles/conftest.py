"""Helpers for the people tests: a member with real signals and a real score."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from django.conf import settings

from profiles.models import User
from profiles.purposes import PURPOSES
from scoring.archive import read_archive
from scoring.models import Score, ScoreSnapshot, SourceKind
from scoring.services.imports import signals_store
from tests.samples import archive_text


def give_score(user: User, *, handle: str | None = None) -> Score:
    """A member with real signals (stored through the import service) and a score.

    The score rows are written directly: these tests are about what consent does to them,
    not about how the scoring model computes them (tests/scoring covers that).
    """
    handle = handle or f"{user.email.split('@')[0]}@example.social"
    text = archive_text(handle=handle)
    archive = read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)
    signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    run_id = uuid.uuid4()
    components = {"base": "1.00", "reach": "20.00", "engagement": "21.50"}
    ScoreSnapshot.objects.create(
        user=user, run_id=run_id, value=Decimal("42.50"), components=components,
        model_version="test",
    )  # fmt: skip
    return Score.objects.create(
        user=user, value=Decimal("42.50"), components=components, confidence=0.5,
        model_version="test", run_id=run_id,
    )  # fmt: skip


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
