"""Trust propagation: seeds, paths, the per-source cap, the context vectors."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import synthetic as syn
from benchmarks.evaluation import auc
from benchmarks.synthetic import NOW
from scoring.model import (
    Graph,
    Params,
    propagate_trust,
    select_seeds,
    trust_context,
)
from scoring.model.features import build_followers, follower_weight
from scoring.model.trust import endorsement, trust_weight, weight_without
from scoring.model.types import Accounts, Engagements, Followers, MemberBatch, Posts

DAY = 86_400


def chain_graph() -> Graph:
    """Seeds 0 and 1 follow 2; 2 follows 3; 4 and 5 follow each other (no path to them)."""
    return Graph.from_edges(
        6,
        follow_src=[0, 1, 2, 4, 5, 0],
        follow_dst=[2, 2, 3, 5, 4, 1],
        engage_src=[3],
        engage_dst=[2],
        engage_count=[4],
    )


def test_seeds_have_positive_trust_and_trust_sums_to_one() -> None:
    r = propagate_trust(chain_graph(), seeds=[0, 1])
    assert r.trust[0] > 0 and r.trust[1] > 0
    assert abs(float(r.trust.sum()) - 1.0) < 1e-5
    assert r.converged


def test_accounts_without_a_trust_path_get_none() -> None:
    g = chain_graph()
    r = propagate_trust(g, seeds=[0, 1])
    assert r.trust[2] > 0 and r.trust[3] > 0
    assert r.trust[4] == 0 and r.trust[5] == 0
    ctx = trust_context(g, [0, 1])
    assert ctx.weight[4] == pytest.approx(Params().trust_floor)
    assert ctx.weight[2] > 100 * ctx.weight[4]


def test_the_per_source_cap_holds() -> None:
    # One seed, endorsed by 1,000 others so it holds a lot of trust, follows one farm
    # account (node 1) and nothing else.
    n = 1_002
    fans = np.arange(2, n)
    g = Graph.from_edges(
        n,
        follow_src=np.concatenate([fans, [0]]),
        follow_dst=np.concatenate([np.zeros(len(fans), dtype=np.int64), [1]]),
        engage_src=[],
        engage_dst=[],
        engage_count=[],
    )
    p = Params()
    seeds = np.concatenate([[0], fans])
    r = propagate_trust(g, seeds, p)
    cap = p.pass_cap / len(seeds)
    # What the seed can pass along its single edge: capped trust, 1/min_out_edges of it.
    assert r.received[1] <= p.damping * cap * p.follow_edge_weight / p.min_out_edges * 1.0001
    assert r.trust[0] > cap  # the seed itself holds more than it may pass on


def test_one_edge_passes_at_most_a_share_of_its_sources_trust() -> None:
    g = Graph.from_edges(
        3, follow_src=[0], follow_dst=[1], engage_src=[0], engage_dst=[1], engage_count=[1_000]
    )
    assert g.transition_t.max() <= 1.0 / Params().min_out_edges


def test_select_seeds_needs_a_verified_and_aged_source() -> None:
    seeds = select_seeds(
        node=[10, 11, 12, 13],
        verified=[True, True, False, True],
        verified_since=[NOW - 400 * DAY, NOW - 10 * DAY, NOW - 400 * DAY, NOW - 180 * DAY],
        now=NOW,
    )
    assert seeds.tolist() == [10, 13]


def test_propagation_needs_seeds() -> None:
    with pytest.raises(ValueError, match="no seeds"):
        propagate_trust(chain_graph(), seeds=[])


def test_the_graph_refuses_unknown_node_ids() -> None:
    with pytest.raises(ValueError, match="out of range"):
        Graph.from_edges(
            3, follow_src=[0], follow_dst=[3], engage_src=[], engage_dst=[], engage_count=[]
        )


def test_trust_weight_is_monotone_between_floor_and_one() -> None:
    p = Params()
    x = np.linspace(0, 2, 201)
    w = trust_weight(x, p)
    assert np.all(np.diff(w) >= 0)
    assert w[0] == pytest.approx(p.trust_floor) and w[-1] == pytest.approx(1.0)


def test_a_farm_behind_follow_backs_gets_little_trust() -> None:
    pop = syn.generate(2_000, seed=5)
    target = int(pop.honest_members()[0])
    attacked, farm = syn.follow_back_farm(pop, target, attack_edges=20, farm_size=300)
    ctx = trust_context(syn.graph(attacked), syn.seeds(attacked))
    real = np.zeros(attacked.n_nodes, dtype=bool)
    real[attacked.eng_src] = True
    real &= ~attacked.fake
    nt = ctx.normalised_trust
    assert auc(nt[real], nt[farm]) > 0.95
    assert np.median(ctx.weight[farm]) < 0.01


def test_working_a_chunk_at_a_time_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring.model import trust

    pop = syn.generate(800, seed=4)
    whole = trust_context(syn.graph(pop), syn.seeds(pop))
    monkeypatch.setattr(trust, "_CHUNK", 37)  # chunks end mid-row, rows span chunks
    chunked_graph = syn.graph(pop)
    chunked = trust_context(chunked_graph, syn.seeds(pop))
    assert chunked_graph.transition_t.nnz > 100 * 37
    for name in ("weight", "standing", "passes", "normalised_trust", "selectivity"):
        assert np.allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-6), name
    assert (chunked.engage != whole.engage).nnz == 0


def test_self_loops_are_dropped_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring.model import trust

    monkeypatch.setattr(trust, "_CHUNK", 3)
    g = Graph.from_edges(
        5,
        follow_src=[0, 1, 1, 2, 3, 4, 4],
        follow_dst=[1, 1, 2, 2, 4, 4, 0],
        engage_src=[3, 3, 2],
        engage_dst=[3, 1, 2],
        engage_count=[5, 2, 1],
    )
    assert g.transition_t.diagonal().tolist() == [0.0] * 5
    assert g.engage.diagonal().tolist() == [0.0] * 5
    assert g.transition_t.nnz == 5 and g.engage.nnz == 1


def test_normalised_trust_is_measured_in_follows_from_the_median_seed() -> None:
    """Ten seeds; each follows 20 accounts so none passes more than the per-edge cap. Node
    30 is followed by one seed only; nodes 40.. (a farm of 20) are endorsed by each other
    and one of them by one seed. The yardstick does not depend on what seeds receive."""
    seeds = list(range(10))
    fs = [s for s in seeds for _ in range(20)]
    fd = [100 + (s * 20 + k) % 200 for s in seeds for k in range(20)]
    fs.append(0)
    fd.append(30)  # seed 0 follows the lone account...
    fs.append(1)
    fd.append(40)  # ... and seed 1 one farm account back
    farm = list(range(40, 60))
    fs += [a for a in farm for b in farm if a != b]
    fd += [b for a in farm for b in farm if a != b]
    g = Graph.from_edges(400, follow_src=fs, follow_dst=fd, engage_src=[], engage_dst=[],
                         engage_count=[])  # fmt: skip
    ctx = trust_context(g, seeds)
    # One follow (weight 0.5) from a typical seed, nothing else: 1 / (0.5 + 1).
    assert ctx.normalised_trust[30] == pytest.approx(1 / 1.5, rel=0.1)
    # The backlinked farm account has the trust of one follow over ~10 endorsements.
    assert ctx.normalised_trust[40] < 0.15
    assert ctx.weight[farm].max() < Params().low_trust


def test_weight_without_takes_a_members_own_endorsement_out() -> None:
    g = Graph.from_edges(30, follow_src=[0, 1, 2, 3], follow_dst=[10, 10, 10, 11],
                         engage_src=[], engage_dst=[], engage_count=[])  # fmt: skip
    ctx = trust_context(g, [0, 1, 2, 3])
    p = Params()
    # Node 11 owes all its trust to seed 3: without it, it counts as little as anything.
    alone = weight_without(ctx, np.array([3]), np.array([11]), p)
    assert ctx.weight[11] > 0.1 and alone[0] == pytest.approx(p.trust_floor)
    # Node 10 keeps two of its three vouchers without seed 0, so it counts less, not 0.
    less = weight_without(ctx, np.array([0]), np.array([10]), p)
    assert p.trust_floor < less[0] < ctx.weight[10]


def test_weight_without_an_endorser_who_never_endorsed_the_node_changes_nothing() -> None:
    # Seed 3 follows node 11 only: taking seed 3 out of node 10's trust changes nothing
    # (model 2026.12-2 assumed every member endorsed its whole audience).
    g = Graph.from_edges(30, follow_src=[0, 1, 2, 3], follow_dst=[10, 10, 10, 11],
                         engage_src=[], engage_dst=[], engage_count=[])  # fmt: skip
    ctx = trust_context(g, [0, 1, 2, 3], members=[0, 1, 2, 3])
    p = Params()
    same = weight_without(ctx, np.array([3]), np.array([10]), p)
    assert same[0] == pytest.approx(float(ctx.weight[10]))
    assert endorsement(ctx, np.array([3, 3, 0]), np.array([11, 10, 10])).tolist() == [
        0.5,
        0.0,
        0.5,
    ]


def test_the_context_keeps_only_the_members_endorsements() -> None:
    g = Graph.from_edges(30, follow_src=[0, 20], follow_dst=[10, 0],
                         engage_src=[0], engage_dst=[10], engage_count=[10])  # fmt: skip
    ctx = trust_context(g, [0], members=[0])
    # Member 0 follows and engages node 10 (weight 0.5 + 0.5); non-member 20's follow of
    # member 0 is not kept.
    assert ctx.endorse[0, 10] == pytest.approx(1.0)
    assert ctx.endorse.nnz == 1


def test_a_member_does_not_vouch_for_its_own_audience() -> None:
    # Seed 0 follows node 10 back; node 10 follows seed 0. In seed 0's own audience node
    # 10 counts as if seed 0 had not followed it; in seed 1's audience it counts fully.
    g = Graph.from_edges(30, follow_src=[0, 10, 10], follow_dst=[10, 0, 1],
                         engage_src=[], engage_dst=[], engage_count=[])  # fmt: skip
    ctx = trust_context(g, [0, 1], members=[0, 1])
    p = Params()
    batch = MemberBatch(
        accounts=Accounts.build(node=[0, 1], followers_reported=[1, 1],
                                following_reported=[1, 0], created_at=[0, 0],
                                verified=[True, True], data_since=[0, 0]),
        followers=Followers.build(member=[0, 1], node=[10, 10], at=[0, 0]),
        engagements=Engagements.build(member=[], node=[], kind=[], count=[], first_at=[],
                                      last_at=[]),
        posts=Posts.build(member=[], at=[], engagers=[]),
    )  # fmt: skip
    table = build_followers(batch, ctx, p)
    assert ctx.weight[10] > p.low_trust
    assert table.weight[1] == pytest.approx(
        follower_weight(ctx.weight[10:11].astype(np.float64), p)[0]
    )
    assert table.weight[0] < p.low_trust
