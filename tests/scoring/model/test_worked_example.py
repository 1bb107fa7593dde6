"""The worked example of docs/scoring.md, so that the published numbers stay true."""

from __future__ import annotations

from decimal import Decimal

from benchmarks.synthetic import NOW
from scoring.model import Kind, score_batch
from scoring.model.trust import TrustContext

from .builders import Member, batch, context, likes, posts

DAY = 86_400
TRUSTED_FOLLOWERS = range(1_000, 1_300)  # weight 1
HALF_TRUSTED_FOLLOWERS = range(1_300, 1_400)  # weight 0.5
UNTRUSTED_FOLLOWERS = range(1_400, 1_600)  # no trust path
ONCE = range(2_000, 2_040)  # 40 people, one like each
SUPERFANS = range(2_040, 2_050)  # 10 people, 12 likes each
RESHARERS = range(2_050, 2_065)  # 15 people, 2 reshares each
REPLIERS = range(2_065, 2_071)  # 6 people, one reply each
PROMISCUOUS = 2_071  # likes everything: engages with 400 members
UNTRUSTED_ENGAGERS = range(2_100, 2_130)  # 30 people without a trust path
POD = range(2_200, 2_220)  # 20 trusted accounts that engage with each other and Ana


def ana() -> Member:
    followers = [
        (f, NOW - (f % 700) * DAY) for r in (TRUSTED_FOLLOWERS, HALF_TRUSTED_FOLLOWERS) for f in r
    ]
    # 200 followers without a trust path arrived within three days, twelve days ago.
    followers += [(f, NOW - 12 * DAY + (f - 1_400) * 1_000) for f in UNTRUSTED_FOLLOWERS]
    engagements = (
        likes(ONCE)
        + likes(SUPERFANS, count=12)
        + likes(RESHARERS, count=2, kind=Kind.RESHARE)
        + likes(REPLIERS, kind=Kind.REPLY)
        + likes([PROMISCUOUS], count=3)
        + likes(UNTRUSTED_ENGAGERS)
    )
    return Member(
        node=0,
        followers=followers,
        engagements=engagements,
        posts=posts(16, ("python", "privacy"), engagers=6)
        + posts(6, ("python", "mental health"), engagers=4)
        + posts(2, ("chess",), engagers=2),
        followers_reported=640,
    )


def ana_context(pod: bool = False) -> TrustContext:
    weight = [1.0] * 3_000
    for node in HALF_TRUSTED_FOLLOWERS:
        weight[node] = 0.5
    for node in (*UNTRUSTED_FOLLOWERS, *UNTRUSTED_ENGAGERS):
        weight[node] = 0.001
    selectivity = [1.0] * 3_000
    selectivity[PROMISCUOUS] = 0.25  # sqrt(25 / 400)
    for node in UNTRUSTED_ENGAGERS:
        selectivity[node] = 0.1  # low-trust: no selectivity credit, sqrt(25 / 2500)
    standing = [1.0] * 3_000
    standing[0] = 2.5
    engage = [(a, b) for a in POD for b in POD if a != b] + [(0, b) for b in POD] if pod else []
    return context(3_000, weight=weight, selectivity=selectivity, standing=standing, engage=engage)


def ana_in_a_pod() -> Member:
    member = ana()
    member.engagements += likes(POD, count=24) + likes(POD, count=12, kind=Kind.RESHARE)
    member.followers += [(f, NOW - 60 * DAY) for f in POD]
    member.followers_reported = 660
    return member


def test_the_worked_example_matches_the_docs() -> None:
    (r,) = score_batch(batch([ana()]), ana_context(), now=NOW)
    f = r.features
    assert round(f["reach"], 2) == 349.98
    assert round(f["engagement"], 3) == 6.121
    assert round(f["amplification"], 3) == 2.144
    assert f["network"] == 2.5
    assert r.score == Decimal("71.25")
    assert r.components.as_dict() == {
        "reach": Decimal("29.17"),
        "engagement": Decimal("25.43"),
        "amplification": Decimal("12.69"),
        "network": Decimal("3.96"),
        "penalties": Decimal("0.00"),
    }
    assert r.confidence == Decimal("1.00")
    (flag,) = r.flags
    assert flag.kind == "follower_burst" and flag.evidence["burst_followers"] == 200
    assert [(t.label, str(t.score), t.suggest) for t in r.topics] == [
        ("python", "69.01", True),
        ("privacy", "59.93", True),
        ("chess", "18.58", True),
    ]


def test_the_pod_example_matches_the_docs() -> None:
    (r,) = score_batch(batch([ana_in_a_pod()]), ana_context(pod=True), now=NOW)
    assert r.score == Decimal("71.16")
    assert r.components.as_dict() == {
        "reach": Decimal("26.92"),
        "engagement": Decimal("27.80"),
        "amplification": Decimal("18.84"),
        "network": Decimal("3.64"),
        "penalties": Decimal("-6.04"),
    }
    assert {f.kind for f in r.flags} == {"follower_burst", "engagement_ring"}
