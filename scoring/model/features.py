"""Per-member signals of a batch, vectorised over all members at once.

Engagement is counted in people, not events: the aggregates of one engager (all kinds)
become one row of ``Pairs``, whose value is capped however often that person engaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .trust import TrustContext, weight_without
from .types import BoolArray, FloatArray, IntArray, Kind, MemberBatch, Params


@dataclass(frozen=True, slots=True)
class Pairs:
    """One row per (member, engager) with engagement inside the window."""

    row: IntArray
    node: IntArray
    response: FloatArray  # likes, replies, mentions: kind-weighted, repeat-capped
    reshare: FloatArray  # reshares, repeat-capped
    events: FloatArray  # raw number of engagements (evidence only)
    first_at: IntArray
    weight: FloatArray  # trust weight of the engager
    selectivity: FloatArray
    reciprocal: BoolArray  # the member engaged back with this engager


@dataclass(frozen=True, slots=True)
class FollowerTable:
    """All follower edges of the batch with the follower's trust weight."""

    row: IntArray
    node: IntArray
    weight: FloatArray
    at: IntArray


@dataclass(frozen=True, slots=True)
class Signals:
    """Raw signals per member row (before the logarithm and the curve)."""

    reach: FloatArray
    engagement: FloatArray
    amplification: FloatArray
    network: FloatArray


def repeat_value(count: IntArray | FloatArray, cap: float) -> FloatArray:
    """What ``count`` engagements of one person are worth: 1 for the first, a little more
    for each repeat (logarithmic), never more than ``cap``."""
    c = np.maximum(np.asarray(count, dtype=np.float64), 1.0)
    return np.minimum(1.0 + np.log(c), cap)


def bounded(untrusted: npt.ArrayLike, trusted: npt.ArrayLike, p: Params) -> FloatArray:
    """What low-trust accounts add to a signal, all together: about their sum while it is
    small, never more than ``untrusted_share * trusted + untrusted_base`` (a smooth
    saturation), so ten thousand or a million of them add the same little."""
    limit = p.untrusted_share * np.asarray(trusted, dtype=np.float64) + p.untrusted_base
    return limit * -np.expm1(-np.asarray(untrusted, dtype=np.float64) / limit)


def trusted_part(weight: FloatArray, p: Params) -> FloatArray:
    """The share of an account's weight that counts as trusted (the rest is bounded with
    the low-trust accounts): 0 up to ``trusted_from``, rising linearly to 1 at
    ``trusted_full``."""
    return np.clip((weight - p.trusted_from) / (p.trusted_full - p.trusted_from), 0.0, 1.0)


def _audience_weight(ctx: TrustContext, member: IntArray, node: IntArray, p: Params) -> FloatArray:
    """An account's weight in a member's audience: with the member's own endorsement of it
    counted only in part (``1 - self_vouch_share``): a member cannot vouch for its own
    audience."""
    return weight_without(ctx, member, node, p, p.self_vouch_share)


def build_pairs(batch: MemberBatch, ctx: TrustContext, now: int, p: Params) -> Pairs:
    e = batch.engagements
    start = now - p.window_seconds
    keep = (e.last_at >= start) & (e.first_at <= now) & (e.count > 0)
    row, node, kind, count, first = (
        e.member[keep],
        e.node[keep],
        e.kind[keep],
        e.count[keep],
        e.first_at[keep],
    )
    n_nodes = len(ctx.weight)
    if len(row) == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return Pairs(
            empty_i, empty_i, empty_f, empty_f, empty_f, empty_i, empty_f, empty_f, empty_f > 0
        )
    if node.min() < 0 or node.max() >= n_nodes:
        raise ValueError("Engagements: node id outside the trust context")
    value = repeat_value(count, p.repeat_cap)
    kind_weight = np.zeros(len(Kind), dtype=np.float64)
    kind_weight[Kind.LIKE] = p.like_weight
    kind_weight[Kind.REPLY] = p.reply_weight
    kind_weight[Kind.MENTION] = p.mention_weight
    key = row * n_nodes + node
    uniq, inv = np.unique(key, return_inverse=True)
    response = np.minimum(np.bincount(inv, kind_weight[kind] * value), p.person_cap)
    reshare = np.minimum(np.bincount(inv, np.where(kind == Kind.RESHARE, value, 0.0)), p.repeat_cap)
    events = np.asarray(np.bincount(inv, count.astype(np.float64)), dtype=np.float64)
    first_at = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_at, inv, first)
    prow = uniq // n_nodes
    pnode = uniq % n_nodes
    member_node = batch.accounts.node[prow]
    reciprocal = np.asarray(ctx.engage[member_node, pnode]).ravel() > 0
    return Pairs(
        row=prow,
        node=pnode,
        response=response,
        reshare=reshare,
        events=events,
        first_at=first_at,
        weight=_audience_weight(ctx, member_node, pnode, p),
        selectivity=ctx.selectivity[pnode].astype(np.float64),
        reciprocal=reciprocal,
    )


def build_followers(batch: MemberBatch, ctx: TrustContext, p: Params) -> FollowerTable:
    f = batch.followers
    if len(f.node) and (f.node.min() < 0 or f.node.max() >= len(ctx.weight)):
        raise ValueError("Followers: node id outside the trust context")
    weight = follower_weight(_audience_weight(ctx, batch.accounts.node[f.member], f.node, p), p)
    return FollowerTable(row=f.member, node=f.node, weight=weight, at=f.at)


def follower_weight(weight: FloatArray, p: Params) -> FloatArray:
    """A follower's weight from its trust weight. A follow is cheaper to fake than an
    engagement: the same trust curve, a lower floor."""
    level = np.clip((weight - p.trust_floor) / (1.0 - p.trust_floor), 0.0, 1.0)
    return p.follower_floor + (1.0 - p.follower_floor) * level


def posts_in_window(batch: MemberBatch, now: int, p: Params) -> IntArray:
    posts = batch.posts
    keep = (posts.at >= now - p.window_seconds) & (posts.at <= now)
    return np.bincount(posts.member[keep], minlength=len(batch)).astype(np.int64)


def signals(
    batch: MemberBatch,
    ctx: TrustContext,
    pairs: Pairs,
    followers: FollowerTable,
    posts: IntArray,
    p: Params,
    *,
    pair_keep: FloatArray | None = None,
    follower_keep: FloatArray | None = None,
    network_keep: FloatArray | None = None,
) -> Signals:
    """The four raw signals; the ``*_keep`` factors (in ``[0, 1]``) are flag discounts."""
    n = len(batch)
    fw = followers.weight if follower_keep is None else followers.weight * follower_keep
    observed = np.bincount(followers.row, minlength=n)
    unobserved = np.maximum(batch.accounts.followers_reported - observed, 0)
    # Followers a source reports but does not list cannot be checked: they count as
    # followers without a trust path.
    # Low-trust accounts (and unlisted followers) are summed apart and bounded: their
    # total saturates below a small share of the trusted signal (see `bounded`).
    # Between trusted_from and trusted_full an account's weight moves smoothly from the
    # bounded part to the trusted part (`trusted_part`), so that a small change of trust
    # never flips a whole account across a threshold. By the weight that counts: a flag's
    # discount can make an account low-trust.
    tf = trusted_part(fw, p)
    reach_low = np.bincount(followers.row, fw * (1.0 - tf), minlength=n) + (
        p.follower_floor * unobserved
    )
    reach_trusted = np.bincount(followers.row, fw * tf, minlength=n)
    reach = reach_trusted + bounded(reach_low, reach_trusted, p)
    kept = pairs.weight if pair_keep is None else pairs.weight * pair_keep
    w = kept * pairs.selectivity
    tp = trusted_part(kept, p)
    per_post = (posts + p.post_prior) ** p.post_exponent

    def total(value: FloatArray) -> FloatArray:
        trusted = np.bincount(pairs.row, w * value * tp, minlength=n)
        untrusted = np.bincount(pairs.row, w * value * (1.0 - tp), minlength=n)
        return (trusted + bounded(untrusted, trusted, p)) / per_post

    engagement = total(pairs.response)
    amplification = total(pairs.reshare)
    network = ctx.standing[batch.accounts.node].astype(np.float64)
    if network_keep is not None:
        network = network * network_keep
    return Signals(reach=reach, engagement=engagement, amplification=amplification, network=network)
