"""An investigation freeze holds for a member who has no score yet (issue 11): runs write no
first score while it is active, only history; lifting it lets the next run write one. The
member is told when scoring is frozen and when the freeze is lifted."""

from __future__ import annotations

import pytest

from moderation.services.disputes import dispute_open
from moderation.services.freezes import FreezeRefused, scoring_freeze, scoring_unfreeze
from profiles.models import Notification, NotificationKind, User
from scoring import selectors as scoring_selectors
from scoring.hooks import held_among
from scoring.models import Score, ScoreSnapshot
from scoring.services.runs import score_members_now
from tests.builders import imported

pytestmark = pytest.mark.django_db


def notices(member: User, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=member, kind=kind).order_by("pk"))


def test_a_freeze_before_the_first_score_keeps_runs_from_writing_one(
    alice: User, mallory: User, mod: User
) -> None:
    imported(alice, tags=["python"])
    imported(mallory, tags=["python"])
    freeze = scoring_freeze(moderator=mod, member_id=alice.pk, reason="Checking new accounts")
    assert held_among([alice.pk, mallory.pk]) == {alice.pk}

    score_members_now(user_ids=[alice.pk, mallory.pk])

    assert not Score.objects.filter(user=alice).exists()
    assert Score.objects.filter(user=mallory).exists()  # the run itself went ahead
    assert ScoreSnapshot.objects.filter(user=alice).count() == 1  # history still recorded
    assert notices(alice, NotificationKind.SCORE_FIRST) == []  # told of nothing unseen
    assert scoring_selectors.dashboard_for_member(member=alice).holds == [
        "The moderators' reason: Checking new accounts"
    ]

    scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="All in order")
    assert held_among([alice.pk]) == set()
    score_members_now(user_ids=[alice.pk])
    assert Score.objects.filter(user=alice).exists()
    assert len(notices(alice, NotificationKind.SCORE_FIRST)) == 1


def test_the_member_is_told_when_scoring_is_frozen_and_when_it_is_lifted(
    alice: User, mod: User
) -> None:
    freeze = scoring_freeze(moderator=mod, member_id=alice.pk, reason="Checking a sudden jump")
    (frozen,) = notices(alice, NotificationKind.SCORING_FROZEN)
    assert frozen.title == "Moderators paused your score while they look into your account"
    assert frozen.body == "The moderators' reason: Checking a sudden jump"
    assert frozen.url == "/dashboard/"

    scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="Nothing wrong")
    _, lifted = notices(alice, NotificationKind.SCORING_FROZEN)
    assert lifted.title == "Moderators lifted the pause on your score"
    assert "The moderators' reason: Nothing wrong" in lifted.body
    assert "computed again shortly" in lifted.body


def test_lifting_while_a_score_dispute_is_open_says_the_score_stays(alice: User, mod: User) -> None:
    imported(alice, tags=["python"])
    score_members_now(user_ids=[alice.pk])
    dispute_open(member=alice, subject="score", reason="Too low")
    freeze = scoring_freeze(moderator=mod, member_id=alice.pk, reason="Investigating")
    scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="Done")
    lifted = notices(alice, NotificationKind.SCORING_FROZEN)[-1]
    assert "stays as it is until your open score dispute is answered" in lifted.body


def test_a_refused_freeze_or_lift_tells_the_member_nothing(alice: User, mod: User) -> None:
    with pytest.raises(FreezeRefused, match="Write the reason"):
        scoring_freeze(moderator=mod, member_id=alice.pk, reason=" ")
    freeze = scoring_freeze(moderator=mod, member_id=alice.pk, reason="Investigating")
    with pytest.raises(FreezeRefused, match="frozen already"):
        scoring_freeze(moderator=mod, member_id=alice.pk, reason="Again")
    with pytest.raises(FreezeRefused, match="Only moderators"):
        scoring_unfreeze(moderator=alice, freeze_id=freeze.pk, reason="Mine")
    assert len(notices(alice, NotificationKind.SCORING_FROZEN)) == 1
    scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="Done")
    with pytest.raises(FreezeRefused, match="lifted already"):
        scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="Again")
    assert len(notices(alice, NotificationKind.SCORING_FROZEN)) == 2


def test_deleting_a_disputed_score_withdraws_the_dispute_and_the_next_run_scores_afresh(
    alice: User,
) -> None:
    from moderation.models import Dispute, DisputeStatus
    from profiles.models import AuditAction, AuditEntry
    from scoring.services.deletion import score_history_delete

    imported(alice, tags=["python"])
    score_members_now(user_ids=[alice.pk])
    score_dispute = dispute_open(member=alice, subject="score", reason="Too low.")
    topic_dispute = dispute_open(member=alice, subject="topic", detail="python", reason="No.")
    assert Score.objects.get(user=alice).frozen_since is not None

    score_history_delete(member=alice)

    score_dispute.refresh_from_db()
    topic_dispute.refresh_from_db()
    assert score_dispute.status == DisputeStatus.WITHDRAWN
    assert "nothing left for a moderator to review" in score_dispute.resolution
    assert topic_dispute.status == DisputeStatus.OPEN  # the topic is still there
    assert AuditEntry.objects.filter(action=AuditAction.DISPUTE_WITHDRAWN).count() == 1
    assert not Dispute.objects.filter(user=alice, subject="score", status="open").exists()

    score_members_now(user_ids=[alice.pk])
    fresh = Score.objects.get(user=alice)
    assert fresh.frozen_since is None  # a fresh score, not held for a dispute that is gone
