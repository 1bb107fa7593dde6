"""Gaming flags: each fires on its pattern, carries numbers, and discounts (not bans)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import synthetic as syn
from benchmarks.synthetic import NOW
from scoring.model import FlagKind, MemberScore, score_batch
from scoring.model.trust import trust_context

from .builders import Member, batch, context, likes, posts

DAY = 86_400
RING = list(range(10, 30))


def kinds(result: MemberScore) -> set[str]:
    return {f.kind for f in result.flags}


def honest_member(node: int = 0) -> Member:
    """Followers spread over a year, 30 engagers who mostly do not get engaged back."""
    return Member(
        node=node,
        followers=[(100 + i, NOW - (i * 7 % 365) * DAY) for i in range(150)],
        engagements=likes(range(100, 130)) + likes(range(100, 110), kind=syn.Kind.RESHARE),
        posts=posts(20, ("python",), engagers=6),
    )


def test_an_honest_profile_raises_no_flag() -> None:
    engage = [(0, 100), (0, 101), (102, 103)]  # a little reciprocity is normal
    (r,) = score_batch(batch([honest_member()]), context(400, engage=engage), now=NOW)
    assert r.flags == ()
    assert r.components.penalties == 0


def test_a_follower_burst_without_engagement_is_flagged() -> None:
    bought = honest_member()
    bought.followers += [(200 + i, NOW - 2 * DAY - i * 60) for i in range(180)]
    weight = np.ones(400, dtype=np.float32)
    weight[200:380] = 0.3  # some trust, so that the discount shows in the points
    ctx = context(400, weight=weight)
    clean, flagged = score_batch(batch([honest_member(), bought]), ctx, now=NOW)
    assert kinds(flagged) == {FlagKind.FOLLOWER_BURST}
    (flag,) = flagged.flags
    assert flag.evidence["burst_followers"] >= 180
    assert flag.evidence["new_engagers_after"] == 0
    assert all(isinstance(v, float) for v in flag.evidence.values())
    assert flagged.components.penalties < 0
    # A discount, not a ban: the rest of the profile still counts.
    assert flagged.score >= clean.score - 1


def test_a_viral_week_with_new_engagers_is_not_a_burst() -> None:
    viral = honest_member()
    viral.followers += [(200 + i, NOW - 5 * DAY - i * 60) for i in range(180)]
    viral.engagements += [(200 + i, syn.Kind.LIKE, 1, NOW - 4 * DAY) for i in range(60)]
    (r,) = score_batch(batch([viral]), context(400), now=NOW)
    assert FlagKind.FOLLOWER_BURST not in kinds(r)


def ring_context(density_edges: bool) -> list[tuple[int, int]]:
    edges = [(0, r) for r in RING]  # the member engages back with every ring account
    if density_edges:
        edges += [(a, b) for a in RING for b in RING if a != b]
    return edges


def ring_member() -> Member:
    m = honest_member()
    m.engagements += likes(RING, count=40) + likes(RING, count=20, kind=syn.Kind.RESHARE)
    return m


def test_an_engagement_ring_is_flagged_and_discounted() -> None:
    ctx = context(400, engage=ring_context(density_edges=True))
    clean, ringed = score_batch(batch([honest_member(), ring_member()]), ctx, now=NOW)
    assert kinds(ringed) == {FlagKind.ENGAGEMENT_RING}
    (flag,) = ringed.flags
    assert flag.evidence["ring_size"] == len(RING)
    assert flag.evidence["ring_density"] == 1.0
    assert flag.evidence["ring_share_of_engagement"] > 0.5
    assert ringed.components.penalties < 0
    # The ring adds nothing, and the honest part of the profile is kept.
    assert abs(ringed.score - clean.score) < 1


def test_reciprocal_friends_who_do_not_engage_each_other_are_not_a_ring() -> None:
    ctx = context(400, engage=ring_context(density_edges=False))
    (r,) = score_batch(batch([ring_member()]), ctx, now=NOW)
    assert FlagKind.ENGAGEMENT_RING not in kinds(r)


def test_mostly_low_trust_engagement_is_flagged() -> None:
    weight = np.ones(400, dtype=np.float32)
    weight[200:300] = 0.001
    m = honest_member()
    m.engagements += likes(range(200, 300))
    (r,) = score_batch(batch([m]), context(400, weight=weight), now=NOW)
    assert kinds(r) == {FlagKind.LOW_TRUST_ENGAGEMENT}
    (flag,) = r.flags
    assert flag.evidence["low_trust_engagers"] == 100
    assert flag.evidence["engagers"] == 130
    assert r.components.penalties <= 0


@pytest.fixture(scope="module")
def population() -> syn.Population:
    return syn.generate(2_000, seed=11)


def test_honest_synthetic_members_are_rarely_flagged(population: syn.Population) -> None:
    graph = syn.graph(population)
    ctx = trust_context(graph, syn.seeds(population))
    members = population.honest_members()
    results = score_batch(syn.batch(population, members), ctx, now=population.now)
    flagged = sum(bool(r.flags) for r in results)
    assert flagged / len(results) < 0.01


def test_bought_followers_on_a_synthetic_member_are_flagged(population: syn.Population) -> None:
    target = int(population.honest_members()[5])
    attacked, _ = syn.buy_followers(population, target, 1_000)
    ctx = trust_context(syn.graph(attacked), syn.seeds(attacked))
    (r,) = score_batch(syn.batch(attacked, np.array([target])), ctx, now=attacked.now)
    assert FlagKind.FOLLOWER_BURST in kinds(r)
