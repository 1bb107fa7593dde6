"""Input and output types of the scoring model.

Everything here is plain data: NumPy arrays indexed by integer node ids (the Django side
maps member and HMAC hashes to ids), frozen dataclasses, and ``Decimal`` for the figures a
member sees. Times are Unix seconds (``int64``); ``to_unix`` converts aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

MODEL_VERSION = "2026.12-3"
DAY = 86_400


class Kind(IntEnum):
    """Kinds of engagement, as stored in the ``kind`` arrays."""

    LIKE = 0
    RESHARE = 1
    REPLY = 2
    MENTION = 3


class FlagKind:
    """Names of the gaming flags (stable strings, stored by the Django side)."""

    FOLLOWER_BURST = "follower_burst"
    ENGAGEMENT_RING = "engagement_ring"
    LOW_TRUST_ENGAGEMENT = "low_trust_engagement"


def to_unix(value: dt.datetime) -> int:
    """Unix seconds of an aware datetime; naive datetimes are refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the model takes timezone-aware datetimes only")
    return int(value.timestamp())


def _i64(a: npt.ArrayLike) -> IntArray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _same_length(name: str, arrays: dict[str, np.ndarray[Any, Any]]) -> None:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{name}: arrays differ in length: {lengths}")


@dataclass(frozen=True, slots=True)
class Params:
    """Every tunable of the model. The defaults are model version ``MODEL_VERSION``.

    Changing a default is a model change: bump the version so that members are rescored.
    """

    window_days: int = 90
    # Trust propagation (personalised PageRank from seeds).
    seed_min_age_days: int = 180
    damping: float = 0.85
    max_iter: int = 50
    tol: float = 1e-6
    min_out_edges: float = 20.0  # a source passes at most 1/min_out_edges of its trust per edge
    pass_cap: float = 2.0  # ... and never more than pass_cap / seeds of trust in total
    follow_edge_weight: float = 0.5
    engage_edge_weight: float = 0.5
    engage_edge_ref_count: float = 10.0
    in_weight_prior: float = 1.0  # smoothing of degree-normalised trust
    # Normalised trust 1 = this much endorsement weight from the median seed, per unit of
    # endorsement received (0.5: one follow).
    trust_unit: float = 0.5
    # Weight of an account from its normalised trust (1 = the median seed's): the floor
    # up to trust_low, rising smoothly to 1 at trust_full.
    trust_low: float = 0.05
    trust_full: float = 0.5
    trust_floor: float = 0.001
    follower_floor: float = 0.0001  # weight of a follower with no trust path (and unlisted ones)
    vouches: int = 3  # trusted endorsers an account needs to count fully
    # Share of a member's own endorsement (its trust and its vouch) taken out of the
    # weight of accounts in its own audience.
    self_vouch_share: float = 1.0
    low_trust: float = 0.1  # below this weight an account is "low-trust" (flag and bound)
    # Everything low-trust accounts add to a signal together saturates below
    # untrusted_share x the trusted part + untrusted_base, however many there are.
    untrusted_share: float = 0.02
    # ... with a smooth passage: an account's weight is wholly bounded below trusted_from,
    # wholly trusted above trusted_full, and split in proportion between them.
    trusted_from: float = 0.05
    trusted_full: float = 0.2
    untrusted_base: float = 0.02
    # Low-trust engagers get no selectivity credit: they count as if they engaged with
    # this many members (sqrt(25 / 2500) = 0.1), however few they really engaged with.
    untrusted_targets: float = 2500.0
    # Engagement counting.
    selective_targets: float = 25.0  # engaging more members than this lowers an engager's weight
    repeat_cap: float = 2.0  # one engager counts at most this many times over, however often
    person_cap: float = 3.0  # ... over all response kinds together
    like_weight: float = 1.0
    reply_weight: float = 2.0
    mention_weight: float = 1.5
    post_exponent: float = 0.75  # engagement is divided by (posts + post_prior) ** post_exponent
    post_prior: float = 3.0
    # Points before the curve, per decade of each signal.
    reach_scale: float = 5.0
    engagement_scale: float = 13.0
    amplification_scale: float = 11.0
    network_scale: float = 3.0
    curve_z0: float = 25.0  # score = 1 + 99 * (1 - exp(-z / curve_z0))
    # Gaming flags.
    burst_days: int = 7
    burst_min_followers: int = 50
    burst_ratio: float = 5.0
    burst_follow_days: int = 21
    burst_engagers_per_follower: float = 0.02
    burst_discount: float = 1.0
    ring_min_size: int = 5
    ring_max_size: int = 60
    ring_min_share: float = 0.5
    ring_min_density: float = 0.2
    ring_discount: float = 1.0
    low_trust_min_engagers: int = 10
    low_trust_share: float = 0.6
    low_trust_discount: float = 1.0
    # Confidence.
    confidence_posts: float = 10.0
    confidence_engagers: float = 25.0
    confidence_unverified: float = 0.8
    # Topics.
    topic_min_posts: int = 2
    topic_term_weight: float = 0.5
    max_topics: int = 10

    @property
    def window_seconds(self) -> int:
        return self.window_days * DAY


@dataclass(frozen=True, slots=True)
class Accounts:
    """One row per member of a batch (sources of one member aggregated by the Django side).

    ``node`` is the member's own node id in the graph. ``followers_reported`` is the sum of
    self-reported follower counts; ``verified`` is true when any source came from a
    connector; ``data_since`` is when the data we hold begins (connection date, or the
    earliest item of an archive); ``created_at`` is the oldest account's creation time.
    """

    node: IntArray
    followers_reported: IntArray
    following_reported: IntArray
    created_at: IntArray
    verified: BoolArray
    data_since: IntArray

    @classmethod
    def build(
        cls,
        *,
        node: npt.ArrayLike,
        followers_reported: npt.ArrayLike,
        following_reported: npt.ArrayLike,
        created_at: npt.ArrayLike,
        verified: npt.ArrayLike,
        data_since: npt.ArrayLike,
    ) -> Accounts:
        out = cls(
            node=_i64(node),
            followers_reported=_i64(followers_reported),
            following_reported=_i64(following_reported),
            created_at=_i64(created_at),
            verified=np.ascontiguousarray(verified, dtype=np.bool_),
            data_since=_i64(data_since),
        )
        _same_length("Accounts", {f: getattr(out, f) for f in cls.__slots__})
        return out

    def __len__(self) -> int:
        return len(self.node)


@dataclass(frozen=True, slots=True)
class Followers:
    """Follower edges received: ``member`` (row in the batch) is followed by ``node`` at ``at``."""

    member: IntArray
    node: IntArray
    at: IntArray

    @classmethod
    def build(cls, *, member: npt.ArrayLike, node: npt.ArrayLike, at: npt.ArrayLike) -> Followers:
        out = cls(member=_i64(member), node=_i64(node), at=_i64(at))
        _same_length("Followers", {"member": out.member, "node": out.node, "at": out.at})
        return out


@dataclass(frozen=True, slots=True)
class Engagements:
    """Engagement received: ``node`` engaged with ``member`` (batch row) ``count`` times.

    One row per (member, engager, kind) aggregate, as stored by the import service.
    ``kind`` holds ``Kind`` values.
    """

    member: IntArray
    node: IntArray
    kind: IntArray
    count: IntArray
    first_at: IntArray
    last_at: IntArray

    @classmethod
    def build(
        cls,
        *,
        member: npt.ArrayLike,
        node: npt.ArrayLike,
        kind: npt.ArrayLike,
        count: npt.ArrayLike,
        first_at: npt.ArrayLike,
        last_at: npt.ArrayLike,
    ) -> Engagements:
        out = cls(
            member=_i64(member),
            node=_i64(node),
            kind=_i64(kind),
            count=_i64(count),
            first_at=_i64(first_at),
            last_at=_i64(last_at),
        )
        _same_length("Engagements", {f: getattr(out, f) for f in cls.__slots__})
        if len(out.kind) and (out.kind.min() < 0 or out.kind.max() > max(Kind)):
            raise ValueError("Engagements: unknown kind")
        return out


@dataclass(frozen=True, slots=True)
class Posts:
    """The member's own posts: one row per post. ``tags``/``terms`` are per-post label lists."""

    member: IntArray
    at: IntArray
    engagers: IntArray
    likes: IntArray
    reshares: IntArray
    replies: IntArray
    mentions: IntArray
    tags: Sequence[Sequence[str]]
    terms: Sequence[Sequence[str]]

    @classmethod
    def build(
        cls,
        *,
        member: npt.ArrayLike,
        at: npt.ArrayLike,
        engagers: npt.ArrayLike,
        likes: npt.ArrayLike | None = None,
        reshares: npt.ArrayLike | None = None,
        replies: npt.ArrayLike | None = None,
        mentions: npt.ArrayLike | None = None,
        tags: Sequence[Sequence[str]] | None = None,
        terms: Sequence[Sequence[str]] | None = None,
    ) -> Posts:
        m = _i64(member)
        zeros = np.zeros(len(m), dtype=np.int64)
        out = cls(
            member=m,
            at=_i64(at),
            engagers=_i64(engagers),
            likes=zeros if likes is None else _i64(likes),
            reshares=zeros if reshares is None else _i64(reshares),
            replies=zeros if replies is None else _i64(replies),
            mentions=zeros if mentions is None else _i64(mentions),
            tags=tags if tags is not None else [()] * len(m),
            terms=terms if terms is not None else [()] * len(m),
        )
        _same_length(
            "Posts",
            {
                "member": out.member,
                "at": out.at,
                "engagers": out.engagers,
                "likes": out.likes,
                "tags": np.empty(len(out.tags)),
                "terms": np.empty(len(out.terms)),
            },
        )
        return out


@dataclass(frozen=True, slots=True)
class MemberBatch:
    """The members scored together (about 500), with their stored aggregates.

    ``held_topics`` (topics the member added or approved), ``blocked_topics`` (topics
    the member blocked) and ``dismissed_flags`` (flag kinds a moderator dismissed) are per
    member, in row order; empty when not given.
    """

    accounts: Accounts
    followers: Followers
    engagements: Engagements
    posts: Posts
    held_topics: Sequence[Set[str]] = ()
    blocked_topics: Sequence[Set[str]] = ()
    # Flag kinds a moderator dismissed for the member: never raised or discounted again.
    dismissed_flags: Sequence[Set[str]] = ()

    def __post_init__(self) -> None:
        n = len(self.accounts)
        for name, rows in (
            ("followers", self.followers.member),
            ("engagements", self.engagements.member),
            ("posts", self.posts.member),
        ):
            if len(rows) and (rows.min() < 0 or rows.max() >= n):
                raise ValueError(f"MemberBatch.{name}: member row out of range 0..{n - 1}")
        for name, seq in (
            ("held_topics", self.held_topics),
            ("blocked_topics", self.blocked_topics),
            ("dismissed_flags", self.dismissed_flags),
        ):
            if len(seq) not in (0, n):
                raise ValueError(f"MemberBatch.{name}: give one set per member or none")

    def __len__(self) -> int:
        return len(self.accounts)


@dataclass(frozen=True, slots=True)
class Flag:
    """A gaming flag: what was seen (``evidence``, numbers only) and the discount applied."""

    kind: str
    evidence: dict[str, float]
    discount: float


@dataclass(frozen=True, slots=True)
class Components:
    """Points of the score; they add up exactly to it. ``penalties`` is never positive."""

    reach: Decimal
    engagement: Decimal
    amplification: Decimal
    network: Decimal
    penalties: Decimal

    def total(self) -> Decimal:
        return self.reach + self.engagement + self.amplification + self.network + self.penalties

    def as_dict(self) -> dict[str, Decimal]:
        return {
            "reach": self.reach,
            "engagement": self.engagement,
            "amplification": self.amplification,
            "network": self.network,
            "penalties": self.penalties,
        }


@dataclass(frozen=True, slots=True)
class TopicScore:
    """A topic from the member's own posts.

    ``suggest`` is false for sensitive, deny-listed and blocked topics; those appear only
    when the member holds them (added or approved).
    """

    label: str
    score: Decimal
    posts: int
    sensitive_category: str | None
    suggest: bool


@dataclass(frozen=True, slots=True)
class MemberScore:
    """The result for one member. ``features`` are the raw signals behind the components."""

    node: int
    score: Decimal
    components: Components
    confidence: Decimal
    flags: tuple[Flag, ...]
    topics: tuple[TopicScore, ...]
    model_version: str
    window_start: int
    window_end: int
    features: dict[str, float] = field(default_factory=dict)
