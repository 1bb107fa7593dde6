"""Scoring's doors to the apps above it (see profiles/hooks.py)."""

from __future__ import annotations

from collections.abc import Iterable

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
