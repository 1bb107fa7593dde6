"""The audit log's only writer: one append-only entry per audited action."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from profiles.models import AuditAction, AuditEntry, User
from profiles.pseudonyms import member_pseudonym


class AuditError(ValueError):
    """An entry the log refuses: the action is not one of `AuditAction`."""


@transaction.atomic
def audit_record(
    *,
    action: AuditAction | str,
    subject: User | None = None,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. The action must be an `AuditAction` member (or its stored value),
    so every entry has a name in the admin's list and filter, never a bare string."""
    try:
        known = AuditAction(action)
    except ValueError:
        raise AuditError(
            f"{action!r} is not an audit action; add it to profiles.models.AuditAction."
        ) from None
    return AuditEntry.objects.create(
        action=known,
        subject=subject,
        subject_ref=member_pseudonym(subject.pk) if subject else "",
        actor=actor,
        actor_ref=member_pseudonym(actor.pk) if actor else "",
        detail=detail or {},
    )


def audit_log_exported(*, actor: User, since: date, until: date, rows: int) -> AuditEntry:
    """Record that an admin exported a date range of the log (every export is audited)."""
    return audit_record(
        action=AuditAction.AUDIT_EXPORTED,
        actor=actor,
        detail={"since": since.isoformat(), "until": until.isoformat(), "rows": rows},
    )
