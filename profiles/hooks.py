"""Doors through which a lower app lets a higher one act, without importing it.

The apps depend one way (profiles <- signals <- scoring <- moderation, checked by
import-linter). Where a lower app's state change must make a higher app act, the lower
app declares a ``Hook`` here or in its own ``hooks.py``, calls it, and the higher app
connects a receiver in its ``AppConfig.ready()``. ``tests/test_layout.py`` checks that
every hook has a receiver once Django is set up, so a door cannot be left unfilled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_ALL: list[Hook] = []


class Hook:
    """A named point that calls every connected receiver with keyword arguments."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self._receivers: list[Callable[..., Any]] = []
        _ALL.append(self)

    def connect(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[..., Any]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, **kwargs: Any) -> list[Any]:
        """Call each receiver in the order connected; returns their results."""
        return [receiver(**kwargs) for receiver in self._receivers]

    @property
    def receivers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._receivers)

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"


def all_hooks() -> tuple[Hook, ...]:
    return tuple(_ALL)


# --- profiles' own doors ----------------------------------------------------------------

scoring_granted = Hook(
    "profiles.scoring_granted",
    "A member granted (or renewed) the `scoring` purpose, inside the granting transaction: "
    "kwargs user_id. Scoring marks them due.",
)
scoring_withdrawn = Hook(
    "profiles.scoring_withdrawn",
    "A member withdrew `scoring`, inside the withdrawing transaction under their row lock: "
    "kwargs user_id. Signals and scoring delete everything they hold about the member "
    "(invariant 2) in the same transaction.",
)
