"""Reads about people and their consent. The current consent state is derived here, only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, CharField, OuterRef, QuerySet, Subquery

from profiles.models import ConsentRecord, User
from profiles.purposes import PURPOSES, Purpose, PurposeText


@dataclass(frozen=True)
class ConsentState:
    purpose: PurposeText
    granted: bool
    version: str | None
    since: datetime | None

    @property
    def active(self) -> bool:
        """Granted under the current policy version: only then may anything be done."""
        return self.granted and self.version == self.purpose.version

    @property
    def needs_reconsent(self) -> bool:
        return self.granted and self.version != self.purpose.version


def consent_states(*, user: User) -> dict[str, ConsentState]:
    """The current state of every purpose for one member, from the latest ledger row each."""
    latest: dict[str, ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(user=user).order_by("created_at", "id"):
        latest[record.purpose] = record
    states = {}
    for key, text in PURPOSES.items():
        rec = latest.get(key)
        states[key] = ConsentState(
            purpose=text,
            granted=bool(rec and rec.granted),
            version=rec.policy_version if rec else None,
            since=rec.created_at if rec else None,
        )
    return states


def purposes_awaiting_reconsent(*, user: User) -> list[ConsentState]:
    """Purposes the member granted under a policy version that has since changed.

    Nothing new is done under them (``active`` is false) until the member answers.
    """
    return [s for s in consent_states(user=user).values() if s.needs_reconsent]


def has_active_consent(*, user_id: int, purpose: Purpose) -> bool:
    """Whether the member's latest ledger row grants the purpose under its current version."""
    rec = (
        ConsentRecord.objects.filter(user_id=user_id, purpose=purpose)
        .order_by("-created_at", "-id")
        .values("granted", "policy_version")
        .first()
    )
    return bool(rec and rec["granted"] and rec["policy_version"] == PURPOSES[purpose].version)


def users_with_active_consent(purpose: Purpose) -> QuerySet[User]:
    """Members whose latest ledger row for the purpose grants it under the current version."""
    latest = ConsentRecord.objects.filter(user=OuterRef("pk"), purpose=purpose).order_by(
        "-created_at", "-id"
    )
    return (
        User.objects.filter(is_active=True)
        .annotate(
            _granted=Subquery(latest.values("granted")[:1], output_field=BooleanField()),
            _version=Subquery(latest.values("policy_version")[:1], output_field=CharField()),
        )
        .filter(_granted=True, _version=PURPOSES[purpose].version)
    )


def consent_history(*, user: User) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).order_by("-created_at", "-id")
