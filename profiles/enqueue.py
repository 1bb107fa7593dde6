"""Typed enqueue helpers for profiles' tasks, and the one way every app sends a task.

Services never import a tasks module (tasks import services, so that would close a loop):
they call a helper here, which sends the task by its registered name once the current
transaction commits. The names are constants in this one module; ``tests/test_layout.py``
checks that each resolves to a registered task.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

DATA_EXPORT_BUILD = "profiles.tasks.data_export_build"
DATA_EXPORTS_PRUNE = "profiles.tasks.data_exports_prune"
PROVIDER_TOKEN_REVOKE = "profiles.tasks.provider_token_revoke"
UNVERIFIED_ACCOUNTS_PRUNE = "profiles.tasks.unverified_accounts_prune"

NOTIFICATION_EMAILS_SEND = "profiles.tasks.notification_emails_send"
RETIRED_HANDLES_PRUNE = "profiles.tasks.retired_handles_prune"

TASK_NAMES = (
    DATA_EXPORT_BUILD,
    DATA_EXPORTS_PRUNE,
    PROVIDER_TOKEN_REVOKE,
    UNVERIFIED_ACCOUNTS_PRUNE,
    NOTIFICATION_EMAILS_SEND,
    RETIRED_HANDLES_PRUNE,
)


def send_on_commit(name: str, *args: object) -> None:
    """Send task `name` with `args` after the current transaction commits (at once outside
    one). Routing (queues) comes from the task name through CELERY_TASK_ROUTES."""

    def send() -> None:
        from influence.celery import app

        app.send_task(name, args=list(args))

    transaction.on_commit(send)


def data_export_build(*, export_id: object) -> None:
    send_on_commit(DATA_EXPORT_BUILD, str(export_id))


def send_robust_on_commit(name: str, *args: object, **options: Any) -> None:
    """Like `send_on_commit`, for work that must never fail the request that caused it: a
    broker that is down is logged, not raised. `options` go to `send_task` (``argsrepr``
    keeps secrets out of logs and monitoring)."""

    def send() -> None:
        from influence.celery import app

        try:
            app.send_task(name, args=list(args), **options)
        except Exception as exc:  # noqa: BLE001 - the request already succeeded
            log.error("could not send %s: %s", name, type(exc).__name__)

    transaction.on_commit(send, robust=True)


def provider_token_revoke(*, sealed: str) -> None:
    """Revoke one provider token after the commit; `sealed` from token_revocation.token_seal."""
    send_robust_on_commit(PROVIDER_TOKEN_REVOKE, sealed, argsrepr="('<sealed token>',)")


def notification_emails_send(*, notification_ids: list[int]) -> None:
    send_on_commit(NOTIFICATION_EMAILS_SEND, [int(i) for i in notification_ids])
