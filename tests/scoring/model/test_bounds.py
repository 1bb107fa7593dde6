"""What untrusted accounts can add to a score is bounded, however many there are."""

from __future__ import annotations

from benchmarks.synthetic import NOW
from scoring.model import score_batch

from .builders import Member, batch, context, likes, posts

DAY = 86_400
TRUSTED = range(100, 110)  # ten trusted engagers and followers
FAKES = range(1_000, 11_000)  # ten thousand accounts nobody vouches for


def _score(fakes: int, unlisted: int) -> float:
    member = Member(
        node=0,
        followers=[(f, NOW - 200 * DAY) for f in TRUSTED]
        + [(f, NOW - (f % 90) * DAY) for f in FAKES[:fakes]],
        engagements=likes(TRUSTED) + likes(FAKES[:fakes]),
        posts=posts(10),
        followers_reported=len(TRUSTED) + fakes + unlisted,
    )
    weight = [1.0] * 11_000
    for f in FAKES:
        weight[f] = 0.001
    ctx = context(11_000, weight=weight, selectivity=1.0, standing=1.0)
    (r,) = score_batch(batch([member]), ctx, now=NOW, with_topics=False)
    return float(r.score)


def test_ten_thousand_fake_followers_and_likers_add_less_than_a_point() -> None:
    assert _score(10_000, 0) - _score(0, 0) < 1.0


def test_a_million_unlisted_followers_add_no_more_than_ten_thousand_listed_fakes() -> None:
    honest = _score(0, 0)
    assert _score(10_000, 1_000_000) - honest < 1.0
    assert _score(0, 1_000_000) - honest < 0.5
