"""The archive's public data types, limits and errors (no I/O, no Django)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

NETWORKS: Final[frozenset[str]] = frozenset({"mastodon", "github", "bluesky", "x", "other"})
INTERACTION_KINDS: Final[tuple[str, ...]] = ("like", "reshare", "reply", "mention")
KIND_INDEX: Final[dict[str, int]] = {kind: index for index, kind in enumerate(INTERACTION_KINDS)}

MAX_COUNT: Final = 10**10
MAX_HANDLE_CHARS: Final = 320
MAX_POST_ID_CHARS: Final = 200
MAX_TAGS: Final = 50
MAX_TAG_CHARS: Final = 100
MAX_TEXT_CHARS: Final = 20_000
MAX_TERMS: Final = 20
MAX_TERM_CHARS: Final = 100  # a longer run of letters is no word: not taken as a term
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


class HandleKeys(AbstractSet[int]):
    """A read-only set of handle keys held as one NumPy array (often a view into a larger
    one): 8 bytes a key where a Python set takes about 60. Compares equal to a `set` with
    the same keys."""

    __slots__ = ("_keys",)

    def __init__(self, keys: npt.NDArray[np.int64]) -> None:
        self._keys = keys  # distinct

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys.tolist())

    def __contains__(self, key: object) -> bool:
        return type(key) is int and bool((self._keys == key).any())

    def __repr__(self) -> str:
        return f"HandleKeys({set(self)!r})"


@dataclass(slots=True)
class PostAgg:
    """One of the member's posts; its text is reduced to `terms` and never kept."""

    post_id: str
    at: datetime
    tags: list[str]
    terms: list[str]
    engagers: AbstractSet[int] = field(default_factory=set)  # handle keys
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


@dataclass(frozen=True, slots=True)
class EdgeColumns:
    """Every edge of an archive as NumPy columns, in the order `Archive.edges` lists them:
    what storing them needs, without an object per edge."""

    counterpart: npt.NDArray[np.int64]  # handle keys
    kind: npt.NDArray[np.int64]  # index into INTERACTION_KINDS
    given: npt.NDArray[np.bool_]  # direction "out" (else "in")
    count: npt.NDArray[np.int64]
    first_us: npt.NDArray[np.int64]  # Unix microseconds
    last_us: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.counterpart)

    @classmethod
    def from_aggregates(cls, edges: Iterable[EdgeAgg]) -> EdgeColumns:
        """The columns of some `EdgeAgg`s (the inverse of `aggregates`)."""
        from .fastpath import to_micros

        rows = list(edges)
        n = len(rows)
        return cls(
            counterpart=np.fromiter((e.counterpart for e in rows), np.int64, n),
            kind=np.fromiter((KIND_INDEX[e.kind] for e in rows), np.int64, n),
            given=np.fromiter((e.direction == "out" for e in rows), np.bool_, n),
            count=np.fromiter((e.count for e in rows), np.int64, n),
            first_us=to_micros(e.first_at for e in rows),
            last_us=to_micros(e.last_at for e in rows),
        )

    def aggregates(self) -> dict[tuple[int, str, str], EdgeAgg]:
        """The same edges as `EdgeAgg`s keyed by (counterpart, kind, direction)."""
        from .fastpath import to_datetimes

        keys = self.counterpart.tolist()
        kinds = np.array(INTERACTION_KINDS, dtype=object)[self.kind].tolist()
        directions = np.array(["in", "out"], dtype=object)[self.given.astype(np.int64)].tolist()
        firsts = to_datetimes(self.first_us)
        # An edge seen once starts and ends at the same time: one object for both.
        later = np.flatnonzero(self.last_us != self.first_us)
        lasts_objects = np.array(firsts, dtype=object)
        lasts_objects[later] = to_datetimes(self.last_us[later])
        lasts = lasts_objects.tolist()
        counts = self.count.tolist()
        return dict(
            zip(
                zip(keys, kinds, directions, strict=True),
                map(EdgeAgg, keys, kinds, directions, counts, firsts, lasts),
                strict=True,
            )
        )


@dataclass(slots=True)
class Archive:
    """A fully validated archive, aggregated; counterparts appear only as keyed hashes."""

    account: Account
    posts: dict[str, PostAgg]
    edge_columns: EdgeColumns = field(compare=False)  # compared through `edges`
    followers: dict[int, datetime]
    following: dict[int, datetime]
    lines: int
    interactions: int
    bytes_read: int
    content_sha256: str
    first_at: datetime | None
    last_at: datetime | None
    _edges: dict[tuple[int, str, str], EdgeAgg] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def edges(self) -> dict[tuple[int, str, str], EdgeAgg]:
        """The edges as `EdgeAgg`s by (counterpart, kind, direction), built on first use:
        storing an archive takes `edge_columns` and never needs them."""
        if self._edges is None:
            self._edges = self.edge_columns.aggregates()
        return self._edges
