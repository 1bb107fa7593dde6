"""Trust: personalised PageRank from seed members, with a cap on what one source passes.

Trust flows along endorsements: a follow or an engagement from ``src`` to ``dst`` passes a
share of ``src``'s trust to ``dst``. Walks restart at the seeds (members with verified,
aged sources), so an account that no trusted account endorses, directly or through others,
holds no trust. Two caps stop a few real accounts from funnelling trust into a farm: one
edge carries at most ``1 / min_out_edges`` of its source's trust, and no source passes
more than ``pass_cap / seeds`` in total. What a cap holds back returns to the seeds.

The iteration is one CSR mat-vec plus a few vector operations per step, run once per
scoring run; batches then read the resulting vectors (``TrustContext``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .types import DAY, BoolArray, Float32Array, FloatArray, IntArray, Params


@dataclass(frozen=True, slots=True)
class Graph:
    """The follow and interaction graph over integer node ids ``0 .. n_nodes - 1``.

    ``transition_t`` is the transposed, capped transition matrix (row = target) used by
    the power iteration; ``engage`` holds interaction counts ``src -> dst`` (any kind),
    used for engager selectivity and ring density; ``in_weight`` is the endorsement
    weight each node receives; ``out_scale`` is ``1 / max(out weight, min_out_edges)``,
    the share of its trust a node passes per unit of endorsement weight.
    """

    n_nodes: int
    transition_t: sp.csr_array
    engage: sp.csr_array
    in_weight: Float32Array
    out_scale: Float32Array

    @classmethod
    def from_edges(
        cls,
        n_nodes: int,
        *,
        follow_src: npt.ArrayLike,
        follow_dst: npt.ArrayLike,
        engage_src: npt.ArrayLike,
        engage_dst: npt.ArrayLike,
        engage_count: npt.ArrayLike,
        params: Params | None = None,
    ) -> Graph:
        """Build from COO arrays: follows (``src`` follows ``dst``) and engagements.

        Duplicate pairs (several kinds, both follow and engage) are summed; a pair's
        endorsement weight is capped at 1. Self-loops are dropped.
        """
        edges = [follow_src, follow_dst, engage_src, engage_dst, engage_count]
        return cls.from_edge_list(n_nodes, edges, params=params)

    @classmethod
    def from_edge_list(
        cls, n_nodes: int, edges: list[npt.ArrayLike], *, params: Params | None = None
    ) -> Graph:
        """`from_edges`, taking ``[follow_src, follow_dst, engage_src, engage_dst,
        engage_count]`` in a list that it empties: each array is let go as soon as it
        has been used, so a caller that keeps no other reference to them needs far less
        memory at the peak (a million members' graph is hundreds of MB)."""
        if len(edges) != 5:
            raise ValueError("Graph: expected five edge arrays")
        follows = edges[:2]
        del edges[:2]
        by_following = following_weights(n_nodes, follows, params=params)
        return cls.from_engagements(n_nodes, by_following, edges, params=params)

    @classmethod
    def from_engagements(
        cls,
        n_nodes: int,
        by_following: sp.csr_array,
        edges: list[npt.ArrayLike],
        *,
        params: Params | None = None,
    ) -> Graph:
        """The graph from `following_weights` and ``[engage_src, engage_dst,
        engage_count]`` in a list that it empties (see `from_edge_list`)."""
        p = params or Params()
        if len(edges) != 3:
            raise ValueError("Graph: expected three engagement arrays")
        es, ed = (_node_ids(a, n_nodes, "engage") for a in edges[:2])
        ec = np.asarray(edges[2], dtype=np.float32)
        edges.clear()

        engage = _csr(es, ed, ec, n_nodes)
        engage.sum_duplicates()
        _drop_diagonal(engage)

        # Endorsement weights, built transposed (row = target) for the iteration: each
        # stored engagement row weighs by its own count, and a pair's weights add up.
        ref = np.log1p(np.float32(p.engage_edge_ref_count))
        ew = np.minimum(np.log1p(ec) / ref, np.float32(1.0)) * np.float32(p.engage_edge_weight)
        del ec
        by_engaging = _csr(ed, es, ew, n_nodes)
        del es, ed, ew
        tt = sp.csr_array(by_following + by_engaging)
        del by_following, by_engaging
        if tt.indices.dtype != np.int32:
            tt.indices = tt.indices.astype(np.int32)
            tt.indptr = tt.indptr.astype(np.int32)
        tt.sum_duplicates()
        _drop_diagonal(tt)
        np.minimum(tt.data, np.float32(1.0), out=tt.data)
        in_weight = _row_sums(tt)
        out_weight = _column_sums(tt)
        scale = (1.0 / np.maximum(out_weight, p.min_out_edges)).astype(np.float32)
        _scale_columns(tt, scale)
        return cls(
            n_nodes=n_nodes, transition_t=tt, engage=engage, in_weight=in_weight, out_scale=scale
        )

    def engaged_targets(self) -> IntArray:
        """How many distinct accounts each node engaged with (its selectivity)."""
        return np.diff(self.engage.indptr).astype(np.int64)


def following_weights(
    n_nodes: int, follows: list[npt.ArrayLike], *, params: Params | None = None
) -> sp.csr_array:
    """Follow endorsements, transposed (row = target), from ``[follow_src, follow_dst]``
    in a list that it empties: built before the engagements are even read, so the two
    never need memory at once. Pass the result to `Graph.from_engagements`."""
    p = params or Params()
    if len(follows) != 2:
        raise ValueError("Graph: expected two follow arrays")
    fs, fd = (_node_ids(a, n_nodes, "follow") for a in follows)
    follows.clear()
    fw = np.full(len(fs), p.follow_edge_weight, dtype=np.float32)
    return _csr(fd, fs, fw, n_nodes)


def _node_ids(values: npt.ArrayLike, n_nodes: int, name: str) -> npt.NDArray[np.int32]:
    a = np.asarray(values, dtype=np.int32)
    if len(a) and (a.min() < 0 or a.max() >= n_nodes):
        raise ValueError(f"Graph: {name} node id out of range 0..{n_nodes - 1}")
    return a


def _csr(
    rows: npt.NDArray[np.int32],
    cols: npt.NDArray[np.int32],
    data: Float32Array,
    n: int,
) -> sp.csr_array:
    m = sp.coo_array((data, (rows, cols)), shape=(n, n)).tocsr()
    if m.indices.dtype != np.int32:
        m.indices = m.indices.astype(np.int32)
        m.indptr = m.indptr.astype(np.int32)
    return m


_CHUNK = 1 << 20  # rows or entries per step where a whole-matrix temporary would be large


def _row_chunks(m: sp.csr_array) -> Iterator[tuple[int, int]]:
    """Row ranges of about _CHUNK stored entries each."""
    bounds = np.searchsorted(m.indptr, np.arange(0, m.nnz, _CHUNK), side="right") - 1
    starts = np.unique(np.append(bounds, m.shape[0]))
    yield from zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)


def _drop_diagonal(m: sp.csr_array) -> None:
    found = False
    for r0, r1 in _row_chunks(m):
        lo, hi = int(m.indptr[r0]), int(m.indptr[r1])
        rows = np.repeat(np.arange(r0, r1, dtype=np.int32), np.diff(m.indptr[r0 : r1 + 1]))
        self_loop = rows == m.indices[lo:hi]
        if self_loop.any():
            m.data[lo:hi][self_loop] = 0
            found = True
    if found:
        m.eliminate_zeros()


def _column_sums(m: sp.csr_array) -> FloatArray:
    """Sums by column, a chunk of entries at a time (no float64 copy of all the data)."""
    sums = np.zeros(m.shape[1], dtype=np.float64)
    for lo in range(0, m.nnz, _CHUNK):
        hi = min(lo + _CHUNK, m.nnz)
        sums += np.bincount(m.indices[lo:hi], weights=m.data[lo:hi], minlength=m.shape[1])
    return sums


def _scale_columns(m: sp.csr_array, scale: Float32Array) -> None:
    """m[:, j] *= scale[j], in place, a chunk at a time."""
    for lo in range(0, m.nnz, _CHUNK):
        hi = min(lo + _CHUNK, m.nnz)
        m.data[lo:hi] *= scale[m.indices[lo:hi]]


def _row_sums(m: sp.csr_array) -> Float32Array:
    sums = np.zeros(m.shape[0], dtype=np.float32)
    nonempty = np.flatnonzero(np.diff(m.indptr))
    if len(nonempty):
        sums[nonempty] = np.add.reduceat(m.data, m.indptr[nonempty], dtype=np.float64)
    return sums


def select_seeds(
    *,
    node: npt.ArrayLike,
    verified: npt.ArrayLike,
    verified_since: npt.ArrayLike,
    now: int,
    params: Params | None = None,
) -> IntArray:
    """Seed node ids: members whose verified source has been connected long enough."""
    p = params or Params()
    nodes = np.asarray(node, dtype=np.int64)
    ok = np.asarray(verified, dtype=np.bool_) & (
        np.asarray(verified_since, dtype=np.int64) <= now - p.seed_min_age_days * DAY
    )
    return np.unique(nodes[ok])


def choose_seeds(
    *,
    node: npt.ArrayLike,
    verified: npt.ArrayLike,
    verified_since: npt.ArrayLike,
    now: int,
    params: Params | None = None,
) -> tuple[IntArray, Literal["verified_aged", "verified", "members"]]:
    """Trust seeds and their basis, given every member source (``node`` may repeat):
    members with verified sources connected long enough; before anyone qualifies, members
    with verified sources; before any, every member with a source (the cold start)."""
    nodes = np.asarray(node, dtype=np.int64)
    ok = np.asarray(verified, dtype=np.bool_)
    seeds = select_seeds(
        node=nodes, verified=ok, verified_since=verified_since, now=now, params=params
    )
    if len(seeds):
        return seeds, "verified_aged"
    if ok.any():
        return np.unique(nodes[ok]), "verified"
    return np.unique(nodes), "members"


@dataclass(frozen=True, slots=True)
class TrustResult:
    """Output of the propagation. ``trust`` sums to 1; ``received`` is the part that came
    from endorsements (trust minus the restart share); ``held`` is the trust each node
    passes on (its trust, capped)."""

    trust: Float32Array
    received: Float32Array
    held: Float32Array
    iterations: int
    converged: bool
    seconds: float


def propagate_trust(
    graph: Graph, seeds: npt.ArrayLike, params: Params | None = None
) -> TrustResult:
    """Personalised PageRank restarting at ``seeds``, with the per-source caps.

    Runs until the L1 change falls below ``params.tol`` or ``params.max_iter`` steps
    (an early stop, as in SybilRank, that keeps trust from soaking deep into farms).
    Duplicate seeds count once.
    """
    p = params or Params()
    started = time.perf_counter()
    n = graph.n_nodes
    seed_ids = np.asarray(seeds, dtype=np.int64)
    is_seed = np.zeros(n, dtype=np.bool_)
    is_seed[seed_ids] = True
    n_seeds = int(np.count_nonzero(is_seed))
    if n_seeds == 0:
        raise ValueError("propagate_trust: no seeds; trust needs verified, aged members")
    share = np.float32(1.0 / n_seeds)
    cap = np.float32(p.pass_cap / n_seeds)
    alpha = np.float32(p.damping)
    matrix = graph.transition_t
    restart = is_seed.astype(np.float32) * share  # each seed once, however often named
    x = restart.copy()
    back_share = np.empty(n, dtype=np.float32)
    held = np.empty(n, dtype=np.float32)
    converged = False
    iterations = 0
    back = 1.0
    for iterations in range(1, p.max_iter + 1):  # noqa: B007 - iterations is reported
        np.minimum(x, cap, out=held)
        y = matrix @ held
        y *= alpha
        # Mass that did not move (restart share, caps, accounts endorsing nobody) goes
        # back to the seeds, so trust always sums to 1.
        back = 1.0 - float(y.sum(dtype=np.float64))
        # A dense multiply-add: cheaper than indexing the seeds when most nodes are seeds.
        np.multiply(restart, np.float32(back), out=back_share)
        y += back_share
        np.subtract(y, x, out=held)
        np.abs(held, out=held)
        delta = float(held.sum(dtype=np.float64))
        x = y
        if delta < p.tol:
            converged = True
            break
    received = x.copy()
    received[is_seed] = np.maximum(received[is_seed] - np.float32(back) * share, 0.0)
    np.minimum(x, cap, out=held)
    return TrustResult(
        trust=x,
        received=received,
        held=held,
        iterations=iterations,
        converged=converged,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True, slots=True)
class TrustContext:
    """What scoring batches need from one trust run, all indexed by node id.

    ``weight`` in ``[trust_floor, 1]`` is how much an account counts as a follower or
    engager; ``selectivity`` in ``(0, 1]`` lowers accounts that engage with everything;
    ``standing`` is the trust a member received from weighted endorsers, in multiples of
    the median seed's; ``passes`` is what one unit of endorsement weight from a node
    contributed to ``standing`` (to take a flagged ring's share back out).
    ``endorsed`` is the endorsement weight a node received plus the prior (the divisor of
    its normalised trust), ``vouched`` how many trusted accounts endorse it, and
    ``own_unit`` what one unit of endorsement weight from a node adds to another's
    normalised trust times its ``endorsed`` (to take a member's own endorsement of its
    audience back out: `weight_without`). ``endorse`` holds the endorsement weight (in
    ``[0, 1]``: a follow 0.5, engagement up to 0.5 more) of each pair ``src -> dst`` whose
    ``src`` is a member: whom a member really vouches for.
    """

    weight: Float32Array
    selectivity: Float32Array
    standing: Float32Array
    passes: Float32Array
    normalised_trust: Float32Array
    seed: BoolArray
    endorsed: Float32Array
    vouched: Float32Array
    own_unit: Float32Array
    engage: sp.csr_array
    endorse: sp.csr_array
    iterations: int
    converged: bool

    _VECTORS: ClassVar[tuple[str, ...]] = (
        "weight",
        "selectivity",
        "standing",
        "passes",
        "normalised_trust",
        "seed",
        "endorsed",
        "vouched",
        "own_unit",
    )


def trust_weight(normalised: FloatArray, params: Params | None = None) -> FloatArray:
    """How much an account counts, from its normalised trust: ``trust_floor`` up to
    ``trust_low``, then a smooth step up to 1 at ``trust_full``."""
    p = params or Params()
    x = np.clip((normalised - p.trust_low) / (p.trust_full - p.trust_low), 0.0, 1.0)
    return p.trust_floor + (1.0 - p.trust_floor) * x * x * (3.0 - 2.0 * x)


def _vouched_weight(
    normalised: FloatArray, vouched: FloatArray, seed: BoolArray, p: Params
) -> FloatArray:
    """Weight from normalised trust, then scaled down for accounts (not seeds) that fewer
    than ``vouches`` trusted accounts endorse."""
    weight = trust_weight(normalised, p)
    partial = ~seed & (vouched < p.vouches)
    weight[partial] = p.trust_floor + (weight[partial] - p.trust_floor) * (
        np.maximum(vouched[partial], 0.0) / p.vouches
    )
    return weight


def endorsement(ctx: TrustContext, src: IntArray, dst: IntArray) -> FloatArray:
    """The endorsement weight of each pair ``src[i] -> dst[i]`` (0 where ``src`` does not
    endorse ``dst``); ``src`` must be members (`TrustContext.endorse`)."""
    if len(src) == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(ctx.endorse[src, dst], dtype=np.float64).ravel()


def weight_without(
    ctx: TrustContext, endorser: IntArray, node: IntArray, p: Params, share: float = 1.0
) -> FloatArray:
    """The weight each ``node`` would have if ``endorser`` (a member, same length) had not
    endorsed it: ``share`` of the trust its real endorsement of the node carried
    (`endorsement`; nothing where it endorses none) is taken out, and it counts as
    ``1 - share`` of a voucher."""
    e = endorsement(ctx, endorser, node)
    removed = share * e * ctx.own_unit[endorser].astype(np.float64)
    vouchers = share * ((e > 0) & _trusted(ctx, endorser, p)).astype(np.float64)
    return _trust_less(ctx, node, removed, vouchers, p)[1]


def weight_without_all(
    ctx: TrustContext, endorsers: IntArray, node: IntArray, p: Params
) -> FloatArray:
    """The weight each ``node`` would have if none of ``endorsers`` (members; a set, not
    paired with the nodes) had endorsed it."""
    return trust_without_all(ctx, endorsers, node, p)[1]


def trust_without_all(
    ctx: TrustContext, endorsers: IntArray, node: IntArray, p: Params
) -> tuple[FloatArray, FloatArray]:
    """`weight_without_all`, with the normalised trust it comes from: (trust, weight)."""
    if len(node) == 0 or len(endorsers) == 0:
        return ctx.normalised_trust[node].astype(np.float64), ctx.weight[node].astype(np.float64)
    sub = sp.csr_array(ctx.endorse[np.asarray(endorsers, dtype=np.int64)][:, node])
    removed = sub.T @ ctx.own_unit[endorsers].astype(np.float64)
    sub.data = (sub.data > 0).astype(np.float64)
    vouchers = sub.T @ _trusted(ctx, endorsers, p).astype(np.float64)
    return _trust_less(ctx, node, np.asarray(removed), np.asarray(vouchers), p)


def _trusted(ctx: TrustContext, node: IntArray, p: Params) -> BoolArray:
    """Whether each node counts as a voucher (`_endorsers_above` at 0.5)."""
    own = ctx.normalised_trust[node].astype(np.float64)
    return ctx.seed[node] | (trust_weight(own, p) >= 0.5)


def _trust_less(
    ctx: TrustContext, node: IntArray, removed: FloatArray, vouchers: FloatArray, p: Params
) -> tuple[FloatArray, FloatArray]:
    """The normalised trust and weight of each node with ``removed`` (in ``own_unit``
    terms) taken out of its trust and ``vouchers`` out of its vouchers; never more than
    it has."""
    nt = ctx.normalised_trust[node].astype(np.float64) - removed / ctx.endorsed[node].astype(
        np.float64
    )
    nt = np.maximum(nt, 0.0)
    seed = ctx.seed[node]
    nt[seed] = np.maximum(nt[seed], 1.0)
    vouched = ctx.vouched[node].astype(np.float64) - vouchers
    out = _vouched_weight(nt, vouched, seed, p)
    nt = np.minimum(nt, ctx.normalised_trust[node].astype(np.float64))
    return nt, np.minimum(out, ctx.weight[node].astype(np.float64))


def _endorsements_of(graph: Graph, sources: BoolArray) -> sp.csr_array:
    """The endorsement weights ``src -> dst`` of the pairs whose ``src`` is in ``sources``,
    row = source (the transition matrix with its scaling undone), a chunk at a time."""
    tt = graph.transition_t
    src_parts, dst_parts, w_parts = [], [], []
    for r0, r1 in _row_chunks(tt):
        lo, hi = int(tt.indptr[r0]), int(tt.indptr[r1])
        cols = tt.indices[lo:hi]
        mine = sources[cols]
        if not mine.any():
            continue
        rows = np.repeat(np.arange(r0, r1, dtype=np.int32), np.diff(tt.indptr[r0 : r1 + 1]))
        src_parts.append(cols[mine])
        dst_parts.append(rows[mine])
        w_parts.append(
            np.minimum(tt.data[lo:hi][mine] / graph.out_scale[cols[mine]], np.float32(1.0))
        )
    n = graph.n_nodes
    if not src_parts:
        return _csr(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32), n)
    out = _csr(
        np.concatenate(src_parts),
        np.concatenate(dst_parts),
        np.concatenate(w_parts).astype(np.float32),
        n,
    )
    out.sum_duplicates()
    return out


def _endorsers_above(graph: Graph, weight: FloatArray, threshold: float) -> FloatArray:
    """How many endorsers of each node have at least ``threshold`` weight."""
    tt = graph.transition_t
    good = (weight >= threshold).astype(np.float32)
    counts = np.zeros(graph.n_nodes, dtype=np.float64)
    for r0, r1 in _row_chunks(tt):  # a chunk at a time: no temporary the size of tt
        lo = int(tt.indptr[r0])
        nonempty = r0 + np.flatnonzero(np.diff(tt.indptr[r0 : r1 + 1]))
        if len(nonempty):
            hits = good[tt.indices[lo : int(tt.indptr[r1])]]
            counts[nonempty] = np.add.reduceat(hits, tt.indptr[nonempty] - lo, dtype=np.float64)
    return counts


def trust_context(
    graph: Graph,
    seeds: npt.ArrayLike,
    params: Params | None = None,
    result: TrustResult | None = None,
    members: npt.ArrayLike | None = None,
) -> TrustContext:
    """Run the propagation (unless ``result`` is given) and derive the per-node vectors.

    ``members`` are the nodes whose own endorsements the context keeps (``endorse``);
    every node's when not given."""
    p = params or Params()
    r = result or propagate_trust(graph, seeds, p)
    seed = np.zeros(graph.n_nodes, dtype=np.bool_)
    seed[np.asarray(seeds, dtype=np.int64)] = True
    keep = np.ones(graph.n_nodes, dtype=np.bool_)
    if members is not None:
        keep[:] = False
        keep[np.asarray(members, dtype=np.int64)] = True
    # Degree-normalised trust, as in SybilRank: the trust an account receives per unit of
    # endorsement. Many endorsements from untrusted accounts (a farm) stay near zero.
    endorsed = graph.in_weight.astype(np.float64) + p.in_weight_prior
    per_endorsement = r.received / endorsed
    # The unit: the trust one follow from the median seed carries. A fixed yardstick of
    # the propagation itself, not what seeds happen to receive (on a young platform
    # seeds are rarely endorsed by other members, and that reference sank towards 0).
    ref = (
        p.trust_unit
        * p.damping
        * float(np.median(r.held[seed].astype(np.float64) * graph.out_scale[seed]))
        if seed.any()
        else 0.0
    )
    normalised = per_endorsement / ref if ref > 0 else np.zeros_like(per_endorsement)
    normalised[seed] = np.maximum(normalised[seed], 1.0)
    # Vouching: an account counts fully once `vouches` trusted accounts endorse it, so
    # one real account following a farm account back does not make it count as real.
    vouched = _endorsers_above(graph, trust_weight(normalised, p), 0.5)
    weight = _vouched_weight(normalised, vouched, seed, p)
    # Standing: trust received, each endorser's share multiplied by its own weight, so
    # that trust leaking into a farm does not come back out of it as standing.
    passed = (r.held.astype(np.float64) * weight).astype(np.float32)
    received = (graph.transition_t @ passed).astype(np.float64) * p.damping
    ref_received = float(np.median(received[seed])) if seed.any() else 0.0
    scale = 1.0 / ref_received if ref_received > 0 else 0.0
    standing = received * scale
    passes = passed.astype(np.float64) * graph.out_scale * p.damping * scale
    targets = graph.engaged_targets().astype(np.float64)
    # Selectivity is credit for engaging with few members; only accounts with some trust
    # earn it (a bought liker engages with nobody else, and that proves nothing).
    targets[weight < p.low_trust] = np.maximum(targets[weight < p.low_trust], p.untrusted_targets)
    selectivity = np.minimum(1.0, np.sqrt(p.selective_targets / np.maximum(targets, 1.0)))
    return TrustContext(
        weight=weight.astype(np.float32),
        selectivity=selectivity.astype(np.float32),
        standing=standing.astype(np.float32),
        passes=passes.astype(np.float32),
        normalised_trust=normalised.astype(np.float32),
        seed=seed,
        endorsed=endorsed.astype(np.float32),
        vouched=vouched.astype(np.float32),
        own_unit=(
            r.held.astype(np.float64) * graph.out_scale * p.damping / ref
            if ref > 0
            else np.zeros(graph.n_nodes)
        ).astype(np.float32),
        engage=graph.engage,
        endorse=_endorsements_of(graph, keep),
        iterations=r.iterations,
        converged=r.converged,
    )
