"""Gaming flags. Each flag carries its evidence in numbers and discounts the signal it
concerns; none of them bans anyone or zeroes a score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .features import FollowerTable, Pairs, follower_weight
from .trust import TrustContext, trust_without_all, weight_without_all
from .types import DAY, Flag, FlagKind, FloatArray, IntArray, MemberBatch, Params


@dataclass(frozen=True, slots=True)
class Detection:
    """Flags per member row and the keep factors they imply (1 = untouched)."""

    flags: list[list[Flag]]
    pair_keep: FloatArray
    follower_keep: FloatArray
    network_keep: FloatArray


def detect(
    batch: MemberBatch,
    ctx: TrustContext,
    pairs: Pairs,
    followers: FollowerTable,
    now: int,
    p: Params,
) -> Detection:
    n = len(batch)
    flags: list[list[Flag]] = [[] for _ in range(n)]
    pair_keep = np.ones(len(pairs.row))
    follower_keep = np.ones(len(followers.row))
    network_keep = np.ones(n)
    # Engagers in a flagged ring: the low-trust flag does not count them.
    in_ring = np.zeros(len(pairs.row), dtype=np.bool_)
    if not any(batch.dismissed_flags):
        _follower_burst(n, pairs, followers, now, p, flags, follower_keep)
        _engagement_ring(
            batch, ctx, pairs, followers, p, flags, pair_keep, follower_keep, network_keep,
            in_ring,
        )  # fmt: skip
        _low_trust(n, pairs, p, flags, pair_keep, in_ring)
        return Detection(flags, pair_keep, follower_keep, network_keep)
    # Some members had a flag dismissed by a moderator: run each detector on its own keep
    # factors, then drop the dismissed kind's flag and discount for those members. Each
    # detector only multiplies factors that start at 1, so the product is unchanged.
    for kind in (FlagKind.FOLLOWER_BURST, FlagKind.ENGAGEMENT_RING, FlagKind.LOW_TRUST_ENGAGEMENT):
        own: list[list[Flag]] = [[] for _ in range(n)]
        pk, fk, nk = np.ones(len(pairs.row)), np.ones(len(followers.row)), np.ones(n)
        if kind == FlagKind.FOLLOWER_BURST:
            _follower_burst(n, pairs, followers, now, p, own, fk)
        elif kind == FlagKind.ENGAGEMENT_RING:
            _engagement_ring(batch, ctx, pairs, followers, p, own, pk, fk, nk, in_ring)
        else:
            _low_trust(n, pairs, p, own, pk, in_ring)
        off = np.fromiter((kind in d for d in batch.dismissed_flags), dtype=np.bool_, count=n)
        if kind == FlagKind.ENGAGEMENT_RING:
            in_ring[off[pairs.row]] = False
        pk[off[pairs.row]] = 1.0
        fk[off[followers.row]] = 1.0
        nk[off] = 1.0
        pair_keep *= pk
        follower_keep *= fk
        network_keep *= nk
        for r in np.flatnonzero(~off):
            flags[r].extend(own[r])
    return Detection(flags, pair_keep, follower_keep, network_keep)


def _follower_burst(
    n: int,
    pairs: Pairs,
    followers: FollowerTable,
    now: int,
    p: Params,
    flags: list[list[Flag]],
    follower_keep: FloatArray,
) -> None:
    """Followers arriving many times faster than usual while new engagers do not."""
    days = p.window_days
    k = p.burst_days
    if days <= k:
        return
    start = now - p.window_seconds
    inside = (followers.at >= start) & (followers.at < now)
    day = (followers.at[inside] - start) // DAY
    rows = followers.row[inside]
    hist = np.bincount(rows * days + day, minlength=n * days).reshape(n, days)
    csum = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(hist, axis=1)], axis=1)
    windows = csum[:, k:] - csum[:, :-k]  # followers gained in each k-day window
    burst = windows.max(axis=1)
    first_day = windows.argmax(axis=1)
    usual = np.median(windows, axis=1)
    follower_lift = burst / (usual + 1.0)
    candidates = np.flatnonzero((burst >= p.burst_min_followers) & (follower_lift >= p.burst_ratio))
    if len(candidates) == 0:
        return
    # New engagers (first engagement) in the weeks from the burst on, beyond what the
    # member's usual rate of new engagers (the rest of the window) would bring.
    burst_start = start + first_day * DAY
    follow_s = p.burst_follow_days * DAY
    pair_start = burst_start[pairs.row]
    in_window = pairs.first_at >= start
    after = in_window & (pairs.first_at >= pair_start) & (pairs.first_at < pair_start + follow_s)
    new_after = np.bincount(pairs.row[after], minlength=n)
    new_total = np.bincount(pairs.row[in_window], minlength=n)
    other_days = max(days - p.burst_follow_days, 1)
    expected = (new_total - new_after) * (p.burst_follow_days / other_days)
    excess = np.maximum(new_after - expected, 0.0)
    per_follower = excess / np.maximum(burst, 1)
    for r in candidates:
        if per_follower[r] >= p.burst_engagers_per_follower:
            continue
        lo = int(burst_start[r])
        span = (followers.row == r) & (followers.at >= lo) & (followers.at < lo + k * DAY)
        # Trusted followers who happened to arrive in the same days are left alone.
        follower_keep[span & (followers.weight < 0.5)] = 1.0 - p.burst_discount
        flags[r].append(
            Flag(
                kind=FlagKind.FOLLOWER_BURST,
                evidence={
                    "burst_followers": float(burst[r]),
                    "burst_days": float(k),
                    "burst_start": float(lo),
                    "usual_followers_per_window": float(usual[r]),
                    "follower_lift": round(float(follower_lift[r]), 2),
                    "new_engagers_after": float(new_after[r]),
                    "expected_new_engagers": round(float(expected[r]), 2),
                    "extra_engagers_per_new_follower": round(float(per_follower[r]), 4),
                },
                discount=p.burst_discount,
            )
        )


def _engagement_ring(
    batch: MemberBatch,
    ctx: TrustContext,
    pairs: Pairs,
    followers: FollowerTable,
    p: Params,
    flags: list[list[Flag]],
    pair_keep: FloatArray,
    follower_keep: FloatArray,
    network_keep: FloatArray,
    in_ring: npt.NDArray[np.bool_],
) -> None:
    """A small set that engages the member, is engaged back, and engages each other.

    The ring's engagement, its follows and its share of the member's standing are
    discounted; the rest of the member's audience counts as if no one in the ring had
    endorsed it (`_without_ring`). ``in_ring`` marks the ring's pairs.
    """
    n = len(batch)
    if len(pairs.row) == 0:
        return
    recip = pairs.reciprocal
    ring_people = np.bincount(pairs.row[recip], minlength=n)
    recip_events = np.bincount(pairs.row[recip], pairs.events[recip], minlength=n)
    all_events = np.bincount(pairs.row, pairs.events, minlength=n)
    share = recip_events / np.maximum(all_events, 1.0)
    candidates = np.flatnonzero((ring_people >= p.ring_min_size) & (share >= p.ring_min_share))
    keep = 1.0 - p.ring_discount
    for r in candidates:
        idx = np.flatnonzero((pairs.row == r) & recip)
        idx = idx[np.argsort(-pairs.events[idx], kind="stable")[: p.ring_max_size]]
        idx = _dense_core(ctx, pairs.node, idx, p)
        k = len(idx)
        if k < p.ring_min_size:
            continue
        ring = pairs.node[idx]
        density = ctx.engage[ring][:, ring].nnz / (k * (k - 1))
        ring_share = float(pairs.events[idx].sum() / max(all_events[r], 1.0))
        pair_keep[idx] *= keep
        in_ring[idx] = True
        ring_follows = (followers.row == r) & np.isin(followers.node, ring)
        follower_keep[ring_follows] *= keep
        # The ring's part of the member's standing: what each ring member passes per unit
        # of endorsement, times the endorsement weight of its follow and engagement.
        follows = np.isin(ring, followers.node[ring_follows])
        ref = np.log1p(p.engage_edge_ref_count)
        endorsement = np.minimum(
            p.follow_edge_weight * follows
            + p.engage_edge_weight * np.minimum(np.log1p(pairs.events[idx]) / ref, 1.0),
            1.0,
        )
        standing = float(ctx.standing[batch.accounts.node[r]])
        from_ring = float((ctx.passes[ring] * endorsement).sum())
        ring_standing = min(from_ring / standing, 1.0) if standing > 0 else 0.0
        # A ring also lifts its members' trust, which they then pass to accounts they
        # endorse, the member's audience among them: the rest of its engagers and
        # followers count as if no one in the ring had endorsed them.
        _without_ring(
            batch, ctx, p, int(r), ring, pairs, followers, pair_keep, follower_keep, ~in_ring
        )
        # The rest of the standing came from the member's other endorsers, whose trust the
        # ring and the member lifted too (trust going round through the member's own
        # audience): it counts only as far as their trust stands without them.
        rest = _standing_without_ring(batch, ctx, p, int(r), ring, pairs, followers, ~in_ring)
        rest_share = min(rest / standing, 1.0) if standing > 0 else 0.0
        network_keep[r] *= 1.0 - p.ring_discount * (1.0 - min(1.0 - ring_standing, rest_share))
        flags[r].append(
            Flag(
                kind=FlagKind.ENGAGEMENT_RING,
                evidence={
                    "ring_size": float(k),
                    "reciprocal_engagers": float(ring_people[r]),
                    "ring_share_of_engagement": round(ring_share, 4),
                    "ring_density": round(float(density), 4),
                    "ring_share_of_standing": round(ring_standing, 4),
                    "events_per_ring_engager": round(float(pairs.events[idx].mean()), 2),
                },
                discount=p.ring_discount,
            )
        )


def _without_ring(
    batch: MemberBatch,
    ctx: TrustContext,
    p: Params,
    r: int,
    ring: IntArray,
    pairs: Pairs,
    followers: FollowerTable,
    pair_keep: FloatArray,
    follower_keep: FloatArray,
    outside: npt.NDArray[np.bool_],
) -> None:
    """The member's engagers (outside the ring) and followers weigh as if neither the
    member nor anyone in the ring had endorsed them (`weight_without_all`): a ring lifts
    its members' trust, which they would pass on to the member's audience."""
    endorsers = np.append(ring, batch.accounts.node[r])
    idx = np.flatnonzero((pairs.row == r) & outside)
    if len(idx):
        w = pairs.weight[idx]
        alone = np.minimum(weight_without_all(ctx, endorsers, pairs.node[idx], p), w)
        ratio = np.divide(alone, w, out=np.ones_like(w), where=w > 0)
        pair_keep[idx] *= 1.0 - p.ring_discount * (1.0 - ratio)
    idx = np.flatnonzero((followers.row == r) & (follower_keep > 0))  # ring follows are 0
    if len(idx):
        w = followers.weight[idx]
        alone = np.minimum(
            follower_weight(weight_without_all(ctx, endorsers, followers.node[idx], p), p), w
        )
        ratio = np.divide(alone, w, out=np.ones_like(w), where=w > 0)
        follower_keep[idx] *= 1.0 - p.ring_discount * (1.0 - ratio)


def _standing_without_ring(
    batch: MemberBatch,
    ctx: TrustContext,
    p: Params,
    r: int,
    ring: IntArray,
    pairs: Pairs,
    followers: FollowerTable,
    outside: npt.NDArray[np.bool_],
) -> float:
    """The member's standing from endorsers outside the ring (its followers and engagers),
    each counted with the trust it would hold if neither the member nor the ring had
    endorsed it."""
    pi = np.flatnonzero((pairs.row == r) & outside)
    fi = (followers.row == r) & ~np.isin(followers.node, ring)
    nodes = np.union1d(pairs.node[pi], followers.node[fi])
    if len(nodes) == 0:
        return 0.0
    follows = np.isin(nodes, followers.node[fi])
    events = np.zeros(len(nodes))
    events[np.searchsorted(nodes, pairs.node[pi])] = pairs.events[pi]
    ref = np.log1p(p.engage_edge_ref_count)
    endorsement = np.minimum(
        p.follow_edge_weight * follows
        + p.engage_edge_weight * np.minimum(np.log1p(events) / ref, 1.0),
        1.0,
    )
    endorsers = np.append(ring, batch.accounts.node[r])
    nt, weight = trust_without_all(ctx, endorsers, nodes, p)
    was_nt = ctx.normalised_trust[nodes].astype(np.float64)
    was_w = ctx.weight[nodes].astype(np.float64)
    kept = np.divide(nt, was_nt, out=np.ones_like(nt), where=was_nt > 0) * np.divide(
        weight, was_w, out=np.ones_like(weight), where=was_w > 0
    )
    return float((ctx.passes[nodes].astype(np.float64) * endorsement * kept).sum())


def _dense_core(ctx: TrustContext, nodes: IntArray, idx: IntArray, p: Params) -> IntArray:
    """Peel away engagers linked to too few of the others until the rest is dense: the
    ring is that core, so honest friends who happen to engage back are left out."""
    while len(idx) >= p.ring_min_size:
        ring = nodes[idx]
        sub = ctx.engage[ring][:, ring]
        links = np.diff(sub.indptr) + np.bincount(sub.indices, minlength=len(ring))
        need = p.ring_min_density * 2 * (len(idx) - 1)
        weak = links < need
        if not weak.any():
            break
        idx = idx[~weak] if weak.sum() < len(idx) else idx[:0]
    return idx


def _low_trust(
    n: int,
    pairs: Pairs,
    p: Params,
    flags: list[list[Flag]],
    pair_keep: FloatArray,
    in_ring: npt.NDArray[np.bool_],
) -> None:
    """Most engagers have no trust path from the seeds. Engagers of a flagged ring
    (``in_ring``) are not counted: a ring's trusted members cannot dilute the low-trust
    share of the rest."""
    counted = ~in_ring
    low = pairs.weight < p.low_trust
    people = np.bincount(pairs.row[counted], minlength=n)
    low_people = np.bincount(pairs.row[low & counted], minlength=n)
    share = low_people / np.maximum(people, 1)
    hits = np.flatnonzero((people >= p.low_trust_min_engagers) & (share >= p.low_trust_share))
    if len(hits) == 0:
        return
    hit_rows = np.zeros(n, dtype=np.bool_)
    hit_rows[hits] = True
    pair_keep[low & hit_rows[pairs.row]] *= 1.0 - p.low_trust_discount
    for r in hits:
        flags[r].append(
            Flag(
                kind=FlagKind.LOW_TRUST_ENGAGEMENT,
                evidence={
                    "engagers": float(people[r]),
                    "low_trust_engagers": float(low_people[r]),
                    "low_trust_share": round(float(share[r]), 4),
                    "low_trust_threshold": p.low_trust,
                },
                discount=p.low_trust_discount,
            )
        )
