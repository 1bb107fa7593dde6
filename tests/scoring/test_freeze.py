"""Freeze while disputed (GDPR Art. 18): the shown score stays as disputed, runs still
record history, public selectors hide it, and resolving lifts it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import Dispute
from moderation.services.disputes import (
    MAX_OPEN_DISPUTES,
    DisputeRefused,
    dispute_open,
    dispute_resolve,
)
from profiles.models import User
from scoring import selectors
from scoring.models import Score, ScoreSnapshot, Topic, TopicStatus
from scoring.services.runs import score_members_now
from tests.scoring.builders import scored

pytestmark = pytest.mark.django_db


def test_a_disputed_score_is_frozen_while_runs_still_record_history(alice: User, mod: User) -> None:
    before = scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="My followers are real.")
    assert Score.objects.get(user=alice).frozen_since is not None
    Score.objects.filter(user=alice).update(value="42.00", components={"reach": "42.00"})
    shown = Score.objects.get(user=alice)

    score_members_now(user_ids=[alice.pk])

    after = Score.objects.get(user=alice)
    assert (after.value, after.run_id, after.components) == (
        shown.value,
        shown.run_id,
        shown.components,
    )
    assert ScoreSnapshot.objects.filter(user=alice).count() == 2
    assert selectors.score_shown_publicly(member=alice) is None

    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="Checked.")
    assert Score.objects.get(user=alice).frozen_since is None
    assert selectors.score_shown_publicly(member=alice) is not None
    score_members_now(user_ids=[alice.pk])
    assert Score.objects.get(user=alice).value == before.value


def test_the_dashboard_says_frozen_while_the_dispute_is_open(client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    assert 'data-testid="frozen"' not in client.get(reverse("dashboard")).content.decode()
    dispute_open(member=alice, subject="score", reason="Too low.")
    page = client.get(reverse("dashboard")).content.decode()
    assert "frozen while your dispute is open" in page
    assert "You disputed my score" in page  # marked on the history


def test_a_disputed_topic_is_hidden_publicly_until_resolved(alice: User, mod: User) -> None:
    Topic.objects.create(user=alice, label="python", status=TopicStatus.APPROVED)
    dispute = dispute_open(member=alice, subject="topic", detail="python", reason="Not me.")
    assert not selectors.topics_shown_publicly().filter(user=alice).exists()
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="Kept.")
    assert selectors.topics_shown_publicly().filter(user=alice).exists()


def test_at_most_three_disputes_are_open_at_once(client, alice: User) -> None:
    for label in ("a", "b", "c", "d"):
        Topic.objects.create(user=alice, label=label)
    for label in ("a", "b", "c")[:MAX_OPEN_DISPUTES]:
        dispute_open(member=alice, subject="topic", detail=label, reason="Not me.")
    with pytest.raises(DisputeRefused, match="3 open disputes, the most at once"):
        dispute_open(member=alice, subject="topic", detail="d", reason="Not me.")
    client.force_login(alice)
    response = client.post(
        reverse("disputes"), {"what": "score:", "reason": "Too low."}, follow=True
    )
    assert response.status_code == 400
    assert "the most at once" in response.content.decode()
    assert Dispute.objects.filter(user=alice).count() == 3


def test_the_public_page_hides_a_frozen_score_and_a_disputed_topic(client, alice: User) -> None:
    score = scored(alice)
    Topic.objects.filter(user=alice, label="privacy").update(status=TopicStatus.APPROVED)
    User.objects.filter(pk=alice.pk).update(handle="alice")
    url = reverse("public_profile", args=["alice"])

    def main(html: str) -> str:  # the footer links to /privacy/: look at the page itself
        return html.split("<main", 1)[1].split("</main>", 1)[0]

    before = main(client.get(url).content.decode())
    assert str(score.value) in before and "privacy" in before
    dispute_open(member=alice, subject="score", reason="Too low.")
    dispute_open(member=alice, subject="topic", detail="privacy", reason="Not me.")
    after = main(client.get(url).content.decode())
    assert str(score.value) not in after
    assert "privacy" not in after
