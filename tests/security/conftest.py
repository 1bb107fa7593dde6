"""Helpers for the security findings' tests (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import private_queue


@pytest.fixture
def unconsumed_queue() -> Iterator[str]:
    """Tasks sent during the test go to a queue no worker reads; it is purged afterwards."""
    with private_queue() as queue:
        yield queue
        queue_purge(queue)


def queue_purge(queue: str) -> None:
    from influence.celery import app

    with app.connection_for_write() as conn:
        try:
            channel: Any = conn.default_channel
            channel.queue_purge(queue)
        except Exception:  # noqa: BLE001 - a queue never declared has nothing to purge
            pass


def queued_messages(queue: str) -> list[dict]:
    """The messages waiting on `queue`, taken off it: headers, args, and the raw body."""
    from influence.celery import app

    messages = []
    with app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        while True:
            message = channel.basic_get(queue, no_ack=True)
            if message is None:
                break
            args, _kwargs, _embed = message.decode()
            messages.append({"headers": message.headers, "args": args, "raw": message.body})
    return messages


def revocations_run(queue: str) -> list[bool]:
    """Run the revocation tasks waiting on `queue` here, as a worker would run them once."""
    from profiles.tasks import provider_token_revoke

    return [
        provider_token_revoke(*m["args"])
        for m in queued_messages(queue)
        if m["headers"]["task"] == "profiles.tasks.provider_token_revoke"
    ]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)
