"""Recorded provider responses, a frozen clock and a mocked HTTP layer (no network here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from signals.connectors import parsing

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(parsing, "now", lambda: NOW)
    return NOW


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    # An unregistered request fails the test: responses raises ConnectionError, which
    # the client turns into ProviderUnavailable, and the assertions below catch it.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
