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
