"""Scoring's doors to the apps above it (see profiles/hooks.py)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from profiles.hooks import Hook

denied_labels = Hook(
    "scoring.denied_labels",
    "Which of the given topic labels nobody may hold: kwargs labels (a set of normalised "
    "labels, or None for all of them); each receiver returns a set. Moderation's deny-list "
    "answers.",
)


def labels_denied(labels: Iterable[str] | None = None) -> set[str]:
    """The labels, of those given (all when None), that a receiver denies."""
    asked = None if labels is None else set(labels)
    found: set[str] = set()
    for result in denied_labels.send(labels=asked):
        found |= set(result)
    return found


score_marks = Hook(
    "scoring.score_marks",
    "What happened to a member's score that scoring does not know of, to mark on its "
    "history: kwargs member_id; each receiver returns a list of scoring.explain.Mark. "
    "Moderation answers with disputes opened and resolved.",
)


def marks_for(member_id: int) -> list:  # type: ignore[type-arg]
    """Every receiver's marks for the member, oldest first."""
    found: list = []  # type: ignore[type-arg]
    for result in score_marks.send(member_id=member_id):
        found.extend(result)
    return sorted(found, key=lambda m: m.at)


flags_dismissed = Hook(
    "scoring.flags_dismissed",
    "Gaming flag kinds a moderator dismissed, which must not discount again: kwargs "
    "member_ids (a list); each receiver returns a dict of member id -> set of kinds. "
    "Moderation's flag reviews answer.",
)


def dismissed_for(member_ids: Iterable[int]) -> dict[int, set[str]]:
    """Each member's dismissed flag kinds (members with none are left out)."""
    found: dict[int, set[str]] = {}
    for result in flags_dismissed.send(member_ids=list(member_ids)):
        for uid, kinds in result.items():
            found.setdefault(uid, set()).update(kinds)
    return found


score_marks_exist = Hook(
    "scoring.score_marks_exist",
    "Whether score_marks would find anything for a member, as a query expression on the "
    "member's row (OuterRef('pk')), so the dashboard asks for marks only when there are "
    "some: no kwargs; each receiver returns a boolean expression (Exists). Every "
    "score_marks receiver has one here; moderation answers with its disputes and "
    "adjustments.",
)


score_adjustments = Hook(
    "scoring.score_adjustments",
    "Manual score adjustments, in points, added to every score written: kwargs member_ids "
    "(a list); each receiver returns a dict of member id -> Decimal. Moderation answers "
    "with the bounded adjustments moderators made in answer to disputes.",
)


def adjustments_for(member_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each member's total manual adjustment (members with none are left out)."""
    found: dict[int, Decimal] = {}
    for result in score_adjustments.send(member_ids=list(member_ids)):
        for uid, points in result.items():
            found[uid] = found.get(uid, Decimal(0)) + Decimal(points)
    return found


score_holds = Hook(
    "scoring.score_holds",
    "Why a member's score is held (not replaced by runs) besides a dispute: kwargs "
    "member_id; each receiver returns a list of sentences for the member's dashboard. "
    "Moderation answers with an investigation freeze and its reason.",
)


score_holds_exist = Hook(
    "scoring.score_holds_exist",
    "Whether score_holds would find anything for a member, as a query expression on the "
    "member's row (OuterRef('pk')): no kwargs; each receiver returns a boolean expression "
    "(Exists). Every score_holds receiver has one here; moderation answers with an active "
    "freeze.",
)


def marks_and_holds_exist() -> dict[str, Any]:
    """Annotations for the member's row: ``_marks_i`` and ``_holds_i``, one per receiver;
    ``marks_or_holds_of`` reads them back."""
    found: dict[str, Any] = {}
    for i, expression in enumerate(score_marks_exist.send()):
        found[f"_marks_{i}"] = expression
    for i, expression in enumerate(score_holds_exist.send()):
        found[f"_holds_{i}"] = expression
    return found


def marks_or_holds_of(row: Any) -> tuple[bool, bool]:
    """Whether the row annotated with ``marks_and_holds_exist`` has marks, and holds."""
    names = vars(row)
    marks = any(v for k, v in names.items() if k.startswith("_marks_"))
    holds = any(v for k, v in names.items() if k.startswith("_holds_"))
    return marks, holds


def holds_for(member_id: int) -> list[str]:
    found: list[str] = []
    for result in score_holds.send(member_id=member_id):
        found.extend(result)
    return found


scores_held = Hook(
    "scoring.scores_held",
    "Members whose score runs must not write, neither a first score nor a new one (their "
    "snapshots are still recorded): kwargs member_ids (a list); each receiver returns a set "
    "of member ids. Moderation answers with active investigation freezes, so a freeze "
    "holds for a member who has no score yet, not only through Score.frozen_since.",
)


def held_among(member_ids: Iterable[int]) -> set[int]:
    """Those of the members whose score a receiver holds."""
    asked = list(member_ids)
    found: set[int] = set()
    for result in scores_held.send(member_ids=asked):
        found |= set(result)
    return found


score_history_deleted = Hook(
    "scoring.score_history_deleted",
    "A member deleted their score, its history and its gaming flags, inside the deleting "
    "transaction: kwargs member_id. Moderation withdraws the member's open disputes about "
    "the score and the flags, since nothing is left to review, so the next run's fresh "
    "score is not held for them.",
)
