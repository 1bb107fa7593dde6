"""Small hand-made inputs for the model tests: a trust context without a graph run, and
batches described member by member."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from benchmarks.synthetic import NOW
from scoring.model.trust import TrustContext
from scoring.model.types import (
    DAY,
    Accounts,
    Engagements,
    Followers,
    Kind,
    MemberBatch,
    Posts,
)


def context(
    n: int,
    *,
    weight: npt.ArrayLike = 1.0,
    selectivity: npt.ArrayLike = 1.0,
    standing: npt.ArrayLike = 1.0,
    engage: Sequence[tuple[int, int]] = (),
) -> TrustContext:
    """A trust context over ``n`` nodes with the given vectors and engagement edges."""

    def vec(v: npt.ArrayLike) -> npt.NDArray[np.float32]:
        return np.broadcast_to(np.asarray(v, dtype=np.float32), (n,)).copy()

    src = np.array([a for a, _ in engage], dtype=np.int32)
    dst = np.array([b for _, b in engage], dtype=np.int32)
    matrix = sp.coo_array((np.ones(len(src), dtype=np.float32), (src, dst)), shape=(n, n)).tocsr()
    return TrustContext(
        weight=vec(weight),
        selectivity=vec(selectivity),
        standing=vec(standing),
        passes=vec(0.01),
        normalised_trust=vec(1.0),
        seed=np.zeros(n, dtype=np.bool_),
        endorsed=vec(1.0),
        vouched=vec(10.0),  # well vouched: taking one voucher out changes nothing
        own_unit=vec(0.0),
        engage=matrix,
        endorse=sp.csr_array((n, n), dtype=np.float32),  # nobody endorses anyone
        iterations=1,
        converged=True,
    )


@dataclass
class Member:
    """One member's data. ``engagements`` are (engager, kind, count, first_at) with
    last_at a day before NOW; ``posts`` are (at, distinct engagers, tags)."""

    node: int
    followers: list[tuple[int, int]] = field(default_factory=list)  # (follower, at)
    engagements: list[tuple[int, Kind, int, int]] = field(default_factory=list)
    posts: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    followers_reported: int | None = None
    verified: bool = True
    data_since: int = NOW - 400 * DAY
    held: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)


def batch(members: Sequence[Member]) -> MemberBatch:
    f_rows, f_nodes, f_at = [], [], []
    e_rows, e_nodes, e_kind, e_count, e_first = [], [], [], [], []
    p_rows, p_at, p_eng, p_tags = [], [], [], []
    for row, m in enumerate(members):
        for node, at in m.followers:
            f_rows.append(row)
            f_nodes.append(node)
            f_at.append(at)
        for node, kind, count, first in m.engagements:
            e_rows.append(row)
            e_nodes.append(node)
            e_kind.append(int(kind))
            e_count.append(count)
            e_first.append(first)
        for at, engagers, tags in m.posts:
            p_rows.append(row)
            p_at.append(at)
            p_eng.append(engagers)
            p_tags.append(tags)
    return MemberBatch(
        accounts=Accounts.build(
            node=[m.node for m in members],
            followers_reported=[
                len(m.followers) if m.followers_reported is None else m.followers_reported
                for m in members
            ],
            following_reported=[0] * len(members),
            created_at=[NOW - 5 * 365 * DAY] * len(members),
            verified=[m.verified for m in members],
            data_since=[m.data_since for m in members],
        ),
        followers=Followers.build(member=f_rows, node=f_nodes, at=f_at),
        engagements=Engagements.build(
            member=e_rows,
            node=e_nodes,
            kind=e_kind,
            count=e_count,
            first_at=e_first,
            last_at=[NOW - DAY] * len(e_rows),
        ),
        posts=Posts.build(member=p_rows, at=p_at, engagers=p_eng, tags=p_tags),
        held_topics=[m.held for m in members],
        blocked_topics=[m.blocked for m in members],
    )


def posts(
    count: int, tags: tuple[str, ...] = (), engagers: int = 1
) -> list[tuple[int, int, tuple[str, ...]]]:
    """``count`` posts spread over the last 80 days."""
    return [(NOW - (1 + i * 80 // max(count, 1)) * DAY, engagers, tags) for i in range(count)]


def likes(
    engagers: Sequence[int], count: int = 1, kind: Kind = Kind.LIKE
) -> list[tuple[int, Kind, int, int]]:
    return [(e, kind, count, NOW - 30 * DAY) for e in engagers]
