"""The audit log's only writer: one append-only entry per audited action."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from profiles.models import AuditEntry, User
from profiles.pseudonyms import member_pseudonym


@transaction.atomic
def audit_record(
    *,
    action: str,
    subject: User | None = None,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        subject=subject,
        subject_ref=member_pseudonym(subject.pk) if subject else "",
        actor=actor,
        actor_ref=member_pseudonym(actor.pk) if actor else "",
        detail=detail or {},
    )
