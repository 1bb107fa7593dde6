"""Topics: only from the member's own posts; sensitive, denied and blocked ones are
never suggested."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.synthetic import NOW
from scoring.model import score_batch, sensitive_category
from scoring.model.topics import SENSITIVE_KEYWORDS, batch_topics, normalise
from scoring.model.types import Posts

from .builders import Member, batch, context, likes, posts

SAMPLES = {
    "health": ["#MentalHealth", "diabetes", "Cancer research", "#mentalhealthawareness"],
    "religion": ["#Faith", "Islam", "church life", "buddhism"],
    "politics": ["#Election2026", "Brexit", "politics", "vote"],
    "sexuality": ["#Pride", "LGBTQ", "queer joy", "#TransRights"],
    "ethnicity": ["#BlackLivesMatter", "indigenous", "Latinx", "racism"],
    "union membership": ["#TradeUnion", "union strong", "Gewerkschaft", "strike"],
}


@pytest.mark.parametrize(
    ("category", "label"), [(c, label) for c, labels in SAMPLES.items() for label in labels]
)
def test_sensitive_labels_fall_in_their_category(category: str, label: str) -> None:
    assert sensitive_category(label) == category


@pytest.mark.parametrize(
    "label", ["python", "#Photography", "transport", "spray paint", "react native", "chess"]
)
def test_ordinary_labels_are_not_sensitive(label: str) -> None:
    assert sensitive_category(label) is None


def test_every_category_has_a_keyword_list() -> None:
    assert set(SENSITIVE_KEYWORDS) == {
        "health",
        "religion",
        "politics",
        "sexuality",
        "ethnicity",
        "union membership",
    }
    assert all(len(words) >= 15 for words in SENSITIVE_KEYWORDS.values())


def _topics(member: Member, deny: frozenset[str] = frozenset()) -> dict[str, object]:
    (r,) = score_batch(batch([member]), context(100), now=NOW, deny_topics=deny)
    return {t.label: t for t in r.topics}


sensitive_keyword = st.sampled_from(
    sorted(k.rstrip("*") for words in SENSITIVE_KEYWORDS.values() for k in words)
)


@given(sensitive_keyword, st.sampled_from(["", "#"]), st.booleans())
def test_a_sensitive_topic_is_never_suggested(word: str, prefix: str, upper: bool) -> None:
    label = prefix + (word.upper() if upper else word)
    p = Posts.build(
        member=[0] * 5, at=[NOW - 86_400] * 5, engagers=[3] * 5, tags=[(label, "python")] * 5
    )
    (topics,) = batch_topics(p, 1, [Decimal("50.00")])
    assert [t.label for t in topics if t.suggest] == ["python"]
    assert all(t.label != normalise(label) for t in topics)


def test_a_deny_listed_topic_is_never_suggested() -> None:
    member = Member(node=0, posts=posts(6, ("crypto", "python"), engagers=5))
    topics = _topics(member, deny=frozenset({"#Crypto"}))
    assert "crypto" not in topics and "python" in topics


def test_a_blocked_topic_is_never_suggested() -> None:
    member = Member(node=0, posts=posts(6, ("crypto", "python")), blocked={"python"})
    assert set(_topics(member)) == {"crypto"}


def test_a_held_sensitive_topic_is_scored_but_not_suggested() -> None:
    member = Member(node=0, posts=posts(6, ("mental health", "python")), held={"#MentalHealth"})
    topics = _topics(member)
    held = topics["mental health"]
    assert held.sensitive_category == "health" and held.suggest is False  # type: ignore[attr-defined]
    assert topics["python"].suggest is True  # type: ignore[attr-defined]


def test_topics_come_only_from_the_members_own_posts() -> None:
    alice = Member(node=0, posts=posts(5, ("python",)), engagements=likes([10, 11]))
    bob = Member(node=1, posts=posts(5, ("gardening",)))
    ra, rb = score_batch(batch([alice, bob]), context(100), now=NOW)
    assert [t.label for t in ra.topics] == ["python"]
    assert [t.label for t in rb.topics] == ["gardening"]


def test_a_topic_score_never_exceeds_the_member_score() -> None:
    member = Member(
        node=0,
        posts=posts(10, ("python", "rust"), engagers=8) + posts(3, ("chess",)),
        engagements=likes(range(10, 60)),
    )
    (r,) = score_batch(batch([member]), context(100), now=NOW)
    assert r.topics and all(Decimal("1") <= t.score <= r.score for t in r.topics)
    assert [t.label for t in r.topics][:2] == ["python", "rust"]


def test_a_topic_needs_more_than_one_post() -> None:
    member = Member(node=0, posts=posts(4, ("python",)) + posts(1, ("chess",)))
    assert set(_topics(member)) == {"python"}


def test_labels_are_normalised() -> None:
    assert normalise("#Machine_Learning") == "machine learning"
    assert normalise("#MachineLearning") == "machine learning"
    assert normalise("  Café ") == "cafe"
