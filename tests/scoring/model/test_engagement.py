"""Counting people, not events."""

from __future__ import annotations

from benchmarks.synthetic import NOW
from scoring.model import Graph, Kind, score_batch, trust_context

from .builders import Member, batch, context, likes, posts


def features(members: list[Member], **ctx_kwargs: object) -> list[dict[str, float]]:
    ctx = context(2_000, **ctx_kwargs)  # type: ignore[arg-type]
    return [r.features for r in score_batch(batch(members), ctx, now=NOW)]


def test_a_repeated_engager_is_capped() -> None:
    once, hundred = features(
        [
            Member(node=0, engagements=likes([10], count=1), posts=posts(10)),
            Member(node=1, engagements=likes([10], count=100), posts=posts(10)),
        ]
    )
    assert hundred["engagement"] <= 2.0 * once["engagement"]  # repeat_cap
    assert hundred["engagement"] > once["engagement"]


def test_many_people_once_beat_one_person_many_times() -> None:
    one_fan, many = features(
        [
            Member(node=0, engagements=likes([10], count=100), posts=posts(10)),
            Member(node=1, engagements=likes(range(10, 110)), posts=posts(10)),
        ]
    )
    assert many["engagement"] > 40 * one_fan["engagement"]


def test_an_untrusted_engager_earns_no_selectivity_credit() -> None:
    # Node 10 engages with member 0 only, but nobody vouches for it.
    graph = Graph.from_edges(
        100, follow_src=[20], follow_dst=[0], engage_src=[10], engage_dst=[0], engage_count=[1]
    )
    ctx = trust_context(graph, seeds=[20])
    assert ctx.weight[10] < 0.1
    assert ctx.selectivity[10] <= 0.1


def test_a_selective_engager_outweighs_a_promiscuous_one() -> None:
    # Node 10 engages with member 0 only; node 11 with member 1 and 999 others.
    edges = [(10, 0), (11, 1)] + [(11, 100 + i) for i in range(999)]
    graph = Graph.from_edges(
        2_000,
        # The same seeds (who follow each other) vouch for both engagers.
        follow_src=[20, 21, 22] * 3,
        follow_dst=[10] * 3 + [11] * 3 + [21, 22, 20],
        engage_src=[a for a, _ in edges],
        engage_dst=[b for _, b in edges],
        engage_count=[1] * len(edges),
    )
    ctx = trust_context(graph, seeds=[20, 21, 22])
    assert ctx.weight[10] == ctx.weight[11] >= 0.1
    assert ctx.selectivity[10] == 1.0 and ctx.selectivity[11] < 0.2
    selective, promiscuous = (
        r.features
        for r in score_batch(
            batch(
                [
                    Member(node=0, engagements=likes([10]), posts=posts(5)),
                    Member(node=1, engagements=likes([11]), posts=posts(5)),
                ]
            ),
            ctx,
            now=NOW,
        )
    )
    assert selective["engagement"] > 5 * promiscuous["engagement"]


def test_engagement_is_normalised_by_the_number_of_posts() -> None:
    few, many = features(
        [
            Member(node=0, engagements=likes(range(10, 110), kind=Kind.RESHARE), posts=posts(10)),
            Member(
                node=1, engagements=likes(range(10, 110), kind=Kind.RESHARE), posts=posts(1_000)
            ),
        ]
    )
    assert few["amplification"] > many["amplification"]
    assert few["posts"] == 10 and many["posts"] == 1_000


def test_engagement_from_accounts_without_trust_counts_little() -> None:
    weight = [1.0] * 2_000
    for node in range(500, 600):
        weight[node] = 0.001  # trust_floor: no trust path
    trusted, untrusted = features(
        [
            Member(node=0, engagements=likes(range(10, 110)), posts=posts(10)),
            Member(node=1, engagements=likes(range(500, 600)), posts=posts(10)),
        ],
        weight=weight,
    )
    assert untrusted["engagement"] < trusted["engagement"] / 100


def test_engagement_outside_the_window_is_left_out() -> None:
    old = [(10, Kind.LIKE, 5, NOW - 400 * 86_400)]
    members = [Member(node=0, engagements=old, posts=posts(5))]
    b = batch(members)
    # Move last_at back as well: the aggregate ended before the window.
    b.engagements.last_at[:] = NOW - 300 * 86_400
    (result,) = score_batch(b, context(100), now=NOW)
    assert result.features["engagers"] == 0
