"""The score: the curve, the components that add up exactly, confidence, metadata."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import NOW
from scoring.model import MODEL_VERSION, Kind, Params, curve, score_batch
from scoring.model.score import allocate, inverse_curve, largest_remainder

from .builders import Member, batch, context, likes, posts

points = st.floats(min_value=0.0, max_value=500.0, allow_nan=False)


@given(st.lists(points, min_size=1, max_size=50))
def test_the_score_stays_within_1_and_100(z: list[float]) -> None:
    s = curve(z)
    assert np.all(s >= 1.0) and np.all(s <= 100.0)


@given(points, points)
def test_the_curve_is_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert curve(lo) <= curve(hi)


def test_the_curve_starts_at_1_and_inverts() -> None:
    assert curve(0.0) == 1.0
    for score in (1.0, 25.0, 50.0, 90.0):
        assert abs(float(curve(inverse_curve(score))) - score) < 1e-9


@settings(max_examples=300)
@given(
    st.lists(st.tuples(points, points, points, points), min_size=1, max_size=20),
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=20, max_size=20),
)
def test_the_components_add_up_exactly(zs: list[tuple[float, ...]], kept: list[float]) -> None:
    z_full = np.array(zs)
    z_final = z_full.sum(axis=1) * np.array(kept[: len(zs)])
    scores, parts = allocate(z_full, z_final, Params())
    assert np.array_equal(parts.sum(axis=1), scores)
    assert np.all(parts[:, :4] >= 0)  # positive components
    assert np.all(parts[:, 4] <= 0)  # penalties
    assert np.all(scores >= 100) and np.all(scores <= 10_000)


@given(st.lists(st.floats(min_value=-50.0, max_value=50.0), min_size=1, max_size=8))
def test_largest_remainder_keeps_each_part_within_a_cent(values: list[float]) -> None:
    v = np.array([values])
    total = np.rint(v.sum(axis=1) * 100).astype(np.int64)
    parts = largest_remainder(v, total)
    assert parts.sum() == total[0]
    assert np.all(np.abs(parts / 100 - v) < 0.01 + 1e-9)


member_strategy = st.builds(
    lambda node, engagers, counts, n_posts, followers: Member(
        node=node,
        engagements=[
            (e, Kind(k), c, NOW - 10 * 86_400) for e, (k, c) in zip(engagers, counts, strict=False)
        ],
        posts=posts(n_posts, ("python",), engagers=len(engagers)),
        followers=[(f, NOW - (f % 300) * 86_400) for f in followers],
    ),
    node=st.integers(0, 9),
    engagers=st.lists(st.integers(10, 199), max_size=30, unique=True),
    counts=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 50)), max_size=30),
    n_posts=st.integers(0, 40),
    followers=st.lists(st.integers(10, 199), max_size=60, unique=True),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(member_strategy, min_size=1, max_size=6),
    st.lists(st.floats(0.001, 1.0), min_size=200, max_size=200),
)
def test_scored_members_components_add_up_exactly(
    members: list[Member], weights: list[float]
) -> None:
    ctx = context(200, weight=weights, engage=[(i, (i * 7) % 10) for i in range(10, 200, 3)])
    for r in score_batch(batch(members), ctx, now=NOW):
        assert r.components.total() == r.score
        assert Decimal("1.00") <= r.score <= Decimal("100.00")
        assert r.components.penalties <= 0
        assert all(v >= 0 for k, v in r.components.as_dict().items() if k != "penalties")
        assert r.score.as_tuple().exponent == -2
        assert Decimal("0") <= r.confidence <= Decimal("1")


def test_a_member_without_data_scores_1_split_evenly() -> None:
    (r,) = score_batch(batch([Member(node=0)]), context(10, standing=0.0), now=NOW)
    assert r.score == Decimal("1.00")
    assert r.components.total() == Decimal("1.00")
    assert r.confidence == Decimal("0.00")


def test_results_carry_the_model_version_and_the_window() -> None:
    (r,) = score_batch(batch([Member(node=0, posts=posts(3))]), context(10), now=NOW)
    assert r.model_version == MODEL_VERSION
    assert r.window_end == NOW
    assert r.window_end - r.window_start == 90 * 86_400


def test_confidence_grows_with_data_and_with_the_window_covered() -> None:
    little = Member(node=0, engagements=likes(range(10, 12)), posts=posts(1))
    more = Member(node=1, engagements=likes(range(10, 110)), posts=posts(40))
    fresh = Member(
        node=2, engagements=likes(range(10, 110)), posts=posts(40), data_since=NOW - 9 * 86_400
    )
    archive = Member(node=3, engagements=likes(range(10, 110)), posts=posts(40), verified=False)
    r = score_batch(batch([little, more, fresh, archive]), context(200), now=NOW)
    assert r[0].confidence < r[1].confidence
    assert r[2].confidence < r[1].confidence
    assert r[3].confidence < r[1].confidence


def test_more_trusted_engagement_never_lowers_the_score() -> None:
    base = Member(node=0, engagements=likes(range(10, 30)), posts=posts(10))
    more = Member(node=1, engagements=likes(range(10, 60)), posts=posts(10))
    r = score_batch(batch([base, more]), context(100), now=NOW)
    assert r[1].score > r[0].score
    assert r[1].components.engagement > r[0].components.engagement
