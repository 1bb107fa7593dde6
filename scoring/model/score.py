"""The score: signals -> points -> the 1-100 curve -> components that add up exactly.

    z     = reach_scale * log10(1 + reach) + engagement_scale * log10(1 + engagement)
          + amplification_scale * log10(1 + amplification) + network_scale * log10(1 + network)
    score = 1 + 99 * (1 - exp(-z / curve_z0))

The points of the score before penalties are shared among the four positive components
in proportion to their share of ``z`` (the starting point 1 in equal quarters); the
penalties component is what the flag discounts took away. Everything is rounded to
hundredths with the largest-remainder method, so the rounded parts add up to the
rounded score exactly.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from .features import (
    FollowerTable,
    Pairs,
    Signals,
    build_followers,
    build_pairs,
    posts_in_window,
    signals,
)
from .gaming import Detection, detect
from .topics import batch_topics
from .trust import TrustContext
from .types import (
    MODEL_VERSION,
    Components,
    FloatArray,
    IntArray,
    MemberBatch,
    MemberScore,
    Params,
)

_CENT = Decimal("0.01")


def curve(z: npt.ArrayLike, params: Params | None = None) -> FloatArray:
    """The published curve from points ``z >= 0`` to a score in ``[1, 100)``."""
    p = params or Params()
    zz = np.maximum(np.asarray(z, dtype=np.float64), 0.0)
    return 1.0 + 99.0 * -np.expm1(-zz / p.curve_z0)


def inverse_curve(score: npt.ArrayLike, params: Params | None = None) -> FloatArray:
    """Points needed for a score (for the docs' table)."""
    p = params or Params()
    s = np.clip(np.asarray(score, dtype=np.float64), 1.0, 100.0 - 1e-9)
    return -p.curve_z0 * np.log1p(-(s - 1.0) / 99.0)


def points(sig: Signals, p: Params) -> FloatArray:
    """Points per component, shape ``(members, 4)``."""
    return np.column_stack(
        [
            p.reach_scale * np.log10(1.0 + sig.reach),
            p.engagement_scale * np.log10(1.0 + sig.engagement),
            p.amplification_scale * np.log10(1.0 + sig.amplification),
            p.network_scale * np.log10(1.0 + sig.network),
        ]
    )


def largest_remainder(values: FloatArray, total_cents: IntArray) -> IntArray:
    """Round each row of ``values`` to integer cents adding up to its ``total_cents``.

    Each total must lie within rounding of its row's exact sum; every part then moves by
    less than one cent, so a part that is 0 or negative never turns positive.
    """
    cents = np.atleast_2d(np.asarray(values, dtype=np.float64)) * 100.0
    base = np.floor(cents)
    shortfall = np.asarray(total_cents, dtype=np.int64) - base.sum(axis=1).astype(np.int64)
    if np.any(shortfall < 0) or np.any(shortfall > cents.shape[1]):
        raise ValueError("largest_remainder: a total is not within rounding of its parts")
    order = np.argsort(-(cents - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(cents.shape[1])[None, :], axis=1)
    return base.astype(np.int64) + (rank < shortfall[:, None])


def allocate(z_full: FloatArray, z_final: FloatArray, p: Params) -> tuple[IntArray, IntArray]:
    """Split scores into the five components, in cents: returns (scores, parts).

    ``z_full`` (members x 4) are the positive components' points before discounts and
    ``z_final`` the total points after them (at most ``z_full`` summed per row). The
    score before discounts is shared among the positive components in proportion to
    their points (the starting 1 point in equal quarters); the penalties component is
    the difference the discounts make.
    """
    zf = np.atleast_2d(np.asarray(z_full, dtype=np.float64))
    total = zf.sum(axis=1)
    full = curve(total, p)
    final = curve(np.minimum(np.asarray(z_final, dtype=np.float64), total), p)
    share = np.divide(zf, total[:, None], out=np.full_like(zf, 0.25), where=total[:, None] > 0)
    positive = 0.25 + (full - 1.0)[:, None] * share
    parts = np.column_stack([positive, np.minimum(final - full, 0.0)])
    scores = np.rint(final * 100.0).astype(np.int64)
    return scores, largest_remainder(parts, scores)


def confidence(
    batch: MemberBatch, posts: IntArray, engagers: IntArray, now: int, p: Params
) -> FloatArray:
    """How much the data supports the score, in ``[0, 1]``.

    Volume: saturates with posts and distinct engagers in the window. Coverage: the
    share of the window the data spans (a new account or a fresh import covers less).
    Archives (self-reported) count for less than connector data.
    """
    volume = -np.expm1(-(posts / p.confidence_posts + engagers / p.confidence_engagers))
    start = now - p.window_seconds
    since = np.maximum(np.maximum(batch.accounts.data_since, batch.accounts.created_at), start)
    coverage = np.clip((now - since) / p.window_seconds, 0.0, 1.0)
    source = np.where(batch.accounts.verified, 1.0, p.confidence_unverified)
    return volume * (0.5 + 0.5 * coverage) * source


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(_CENT)


@dataclass(frozen=True, slots=True)
class _Computed:
    pairs: Pairs
    followers: FollowerTable
    posts: IntArray
    found: Detection
    raw: Signals
    final: Signals


def _compute(batch: MemberBatch, ctx: TrustContext, now: int, p: Params) -> _Computed:
    pairs = build_pairs(batch, ctx, now, p)
    followers = build_followers(batch, ctx, p)
    posts = posts_in_window(batch, now, p)
    found = detect(batch, ctx, pairs, followers, now, p)
    raw = signals(batch, ctx, pairs, followers, posts, p)
    final = signals(
        batch,
        ctx,
        pairs,
        followers,
        posts,
        p,
        pair_keep=found.pair_keep,
        follower_keep=found.follower_keep,
        network_keep=found.network_keep,
    )
    return _Computed(pairs, followers, posts, found, raw, final)


def score_batch(
    batch: MemberBatch,
    ctx: TrustContext,
    *,
    now: int,
    params: Params | None = None,
    deny_topics: Set[str] = frozenset(),
    with_topics: bool = True,
) -> list[MemberScore]:
    """Score every member of ``batch`` against one run's trust context.

    ``now`` (Unix seconds) ends the data window. Results keep the batch's row order.
    ``deny_topics`` is the moderators' global deny-list.
    """
    p = params or Params()
    c = _compute(batch, ctx, now, p)
    n = len(batch)
    z_full = points(c.raw, p)
    z_final = points(c.final, p).sum(axis=1)
    engagers = np.bincount(c.pairs.row, minlength=n)
    listed = np.bincount(c.followers.row, minlength=n)
    conf = confidence(batch, c.posts, engagers, now, p)
    window_start = now - p.window_seconds

    score_cents, parts_cents = allocate(z_full, z_final, p)
    scores = [_cents(int(v)) for v in score_cents]
    topics = (
        batch_topics(
            batch.posts,
            n,
            scores,
            params=p,
            held=batch.held_topics,
            blocked=batch.blocked_topics,
            deny=deny_topics,
            since=window_start,
        )
        if with_topics
        else [()] * n
    )
    out: list[MemberScore] = []
    for r in range(n):
        parts = parts_cents[r]
        out.append(
            MemberScore(
                node=int(batch.accounts.node[r]),
                score=scores[r],
                components=Components(
                    reach=_cents(int(parts[0])),
                    engagement=_cents(int(parts[1])),
                    amplification=_cents(int(parts[2])),
                    network=_cents(int(parts[3])),
                    penalties=_cents(int(parts[4])),
                ),
                confidence=Decimal(str(round(float(conf[r]), 2))).quantize(_CENT),
                flags=tuple(c.found.flags[r]),
                topics=topics[r],
                model_version=MODEL_VERSION,
                window_start=window_start,
                window_end=now,
                features={
                    "reach": float(c.raw.reach[r]),
                    "engagement": float(c.raw.engagement[r]),
                    "amplification": float(c.raw.amplification[r]),
                    "network": float(c.raw.network[r]),
                    "posts": float(c.posts[r]),
                    "engagers": float(engagers[r]),
                    "followers_listed": float(listed[r]),
                    "followers_reported": float(batch.accounts.followers_reported[r]),
                    "following_reported": float(batch.accounts.following_reported[r]),
                },
            )
        )
    return out


def score_values(
    batch: MemberBatch, ctx: TrustContext, *, now: int, params: Params | None = None
) -> FloatArray:
    """Unrounded scores only (no components, topics or flag objects): for evaluation."""
    p = params or Params()
    c = _compute(batch, ctx, now, p)
    return curve(points(c.final, p).sum(axis=1), p)
