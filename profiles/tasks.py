"""Celery tasks about people: each takes ids and calls one service."""

from __future__ import annotations

import uuid

from celery import shared_task

from profiles.services import exports


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=1800, time_limit=1860)
def build_data_export(export_id: str) -> str | None:
    status = exports.data_export_build(export_id=uuid.UUID(export_id))
    return str(status) if status else None


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def prune_data_exports() -> int:
    return exports.data_exports_prune()
