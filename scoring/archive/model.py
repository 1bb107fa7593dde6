"""The archive's public data types, limits and errors (no I/O, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

NETWORKS: Final[frozenset[str]] = frozenset({"mastodon", "github", "bluesky", "x", "other"})
INTERACTION_KINDS: Final[tuple[str, ...]] = ("like", "reshare", "reply", "mention")

MAX_COUNT: Final = 10**10
MAX_HANDLE_CHARS: Final = 320
MAX_POST_ID_CHARS: Final = 200
MAX_TAGS: Final = 50
MAX_TAG_CHARS: Final = 100
MAX_TEXT_CHARS: Final = 20_000
MAX_TERMS: Final = 20
MIN_SECRET_BYTES: Final = 16

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class LineError:
    """One problem found in an archive; `line` is 1-based, 0 for whole-file problems."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class ArchiveInvalid(Exception):
    """The archive was refused as a whole; `errors` holds at most `max_errors` problems.

    `truncated` is true when reading stopped early because `max_errors` was reached.
    """

    def __init__(self, errors: list[LineError], truncated: bool = False) -> None:
        super().__init__(errors, truncated)
        self.errors = errors
        self.truncated = truncated

    def __str__(self) -> str:
        text = "; ".join(str(error) for error in self.errors)
        if self.truncated:
            text += f"; stopped after {len(self.errors)} errors"
        return text


@dataclass(slots=True)
class Account:
    """The member's own account; the only handle an Archive keeps in clear."""

    network: str
    handle: str
    followers: int
    following: int
    created_at: datetime


@dataclass(slots=True)
class PostAgg:
    """One of the member's posts; its text is reduced to `terms` and never kept."""

    post_id: str
    at: datetime
    tags: list[str]
    terms: list[str]
    engagers: set[int] = field(default_factory=set)  # handle keys
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INTERACTION_KINDS, 0))


@dataclass(slots=True)
class EdgeAgg:
    """All interactions of one kind and direction between the member and one counterpart."""

    counterpart: int  # handle key: a truncated keyed hash, see handles.handle_key
    kind: str
    direction: Direction
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(slots=True)
class Archive:
    """A fully validated archive, aggregated; counterparts appear only as keyed hashes."""

    account: Account
    posts: dict[str, PostAgg]
    edges: dict[tuple[int, str, str], EdgeAgg]
    followers: dict[int, datetime]
    following: dict[int, datetime]
    lines: int
    interactions: int
    bytes_read: int
    content_sha256: str
    first_at: datetime | None
    last_at: datetime | None
