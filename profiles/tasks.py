"""Celery tasks about people: each takes ids and calls the service it is named after.
Names are the constants in ``profiles.enqueue``."""

from __future__ import annotations

import logging
import random
import uuid
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from profiles import enqueue, token_revocation
from profiles.services import erasure, exports, handles, notifications

log = logging.getLogger(__name__)

BUILD_OPTIONS: dict[str, Any] = dict(
    acks_late=True, reject_on_worker_lost=True, soft_time_limit=1800, time_limit=1860
)
PRUNE_OPTIONS: dict[str, Any] = dict(acks_late=True, soft_time_limit=300, time_limit=360)


@shared_task(name=enqueue.DATA_EXPORT_BUILD, **BUILD_OPTIONS)
def data_export_build(export_id: str) -> str | None:
    status = exports.data_export_build(export_id=uuid.UUID(export_id))
    return str(status) if status else None


@shared_task(name=enqueue.DATA_EXPORTS_PRUNE, **PRUNE_OPTIONS)
def data_exports_prune() -> int:
    return exports.data_exports_prune()


@shared_task(
    name=enqueue.PROVIDER_TOKEN_REVOKE,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
)
def provider_token_revoke(self: Task, sealed: str) -> bool:
    """Revoke one token at its provider, retrying with exponential backoff while the
    provider cannot answer. Needs no row: the erased member's row is already gone."""
    try:
        return erasure.provider_token_revoke(sealed=sealed)
    except token_revocation.RevocationPending as exc:
        attempt = self.request.retries
        if attempt >= settings.TOKEN_REVOKE_RETRIES:
            log.warning("gave up revoking a provider token after %s tries", attempt + 1)
            return False
        delay = revoke_backoff(attempt)
        log.info("revoking a provider token: %s; again in %.0f s", exc, delay)
        raise self.retry(countdown=delay, max_retries=None) from None


def revoke_backoff(attempt: int) -> float:
    """Exponential backoff with jitter: base, 2 base, 4 base ... capped at 6 hours."""
    base = float(settings.TOKEN_REVOKE_BACKOFF_SECONDS)
    return min(base * 2**attempt, 6 * 3600.0) * random.uniform(1.0, 1.25)  # noqa: S311


@shared_task(name=enqueue.UNVERIFIED_ACCOUNTS_PRUNE, **PRUNE_OPTIONS)
def unverified_accounts_prune() -> int:
    return erasure.unverified_accounts_prune()


@shared_task(
    name=enqueue.NOTIFICATION_EMAILS_SEND,
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notification_emails_send(notification_ids: list[int]) -> int:
    return notifications.notification_emails_send(notification_ids=notification_ids)


@shared_task(name=enqueue.RETIRED_HANDLES_PRUNE, **PRUNE_OPTIONS)
def retired_handles_prune() -> int:
    return handles.retired_handles_prune()


# The names before the layout step (0.1), registered for one release so that messages
# already queued under them still run. Remove in the release after next.
legacy_build_data_export = shared_task(name="profiles.tasks.build_data_export", **BUILD_OPTIONS)(
    data_export_build.run
)
legacy_prune_data_exports = shared_task(name="profiles.tasks.prune_data_exports", **PRUNE_OPTIONS)(
    data_exports_prune.run
)
