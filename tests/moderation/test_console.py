"""The moderation console's services and pages (issue 11): assignment, answers with
corrections, the deny-list, flag reviews and investigation freezes. Every action is
audited; bad input is refused with a clear message and changes nothing."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from benchmarks.synthetic import NOW
from moderation import selectors
from moderation.models import Dispute, DisputeStatus, FlagReview, ScoreAdjustment
from moderation.services.deny_list import denied_topic_add, denied_topic_remove
from moderation.services.disputes import (
    DisputeRefused,
    dispute_answer,
    dispute_open,
    disputes_assign,
)
from moderation.services.flags import FlagReviewRefused, flag_review, flags_dismissed
from moderation.services.freezes import FreezeRefused, scoring_freeze, scoring_unfreeze
from profiles.models import AuditAction, AuditEntry, Notification, NotificationKind, User
from scoring import selectors as scoring_selectors
from scoring.model import FlagKind, score_batch
from scoring.models import GamingFlag, Score, Topic, TopicBlock, TopicStatus
from scoring.services.runs import score_members_now
from tests.builders import imported
from tests.scoring.model.builders import batch, context
from tests.scoring.model.test_gaming import RING, honest_member, ring_context, ring_member

pytestmark = pytest.mark.django_db


def scored(member: User) -> Score:
    imported(member, tags=["python"])
    score_members_now(user_ids=[member.pk])
    return Score.objects.get(user=member)


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


# --- The model: a dismissed flag stops discounting ----------------------------------------


def test_a_dismissed_flag_kind_neither_flags_nor_discounts_that_member_again() -> None:
    engage = ring_context(density_edges=True) + [(1, r) for r in RING]
    ctx = context(400, engage=engage)
    members = batch([ring_member(), dataclasses.replace(ring_member(), node=1)])
    flagged, _ = score_batch(members, ctx, now=NOW)
    assert FlagKind.ENGAGEMENT_RING in {f.kind for f in flagged.flags}
    assert flagged.components.penalties < 0

    dismissed = dataclasses.replace(members, dismissed_flags=[{FlagKind.ENGAGEMENT_RING}, set()])
    cleared, other = score_batch(dismissed, ctx, now=NOW)

    assert FlagKind.ENGAGEMENT_RING not in {f.kind for f in cleared.flags}
    assert cleared.score > flagged.score
    assert cleared.components.total() == cleared.score
    # The other member of the batch keeps their flag and its discount.
    assert FlagKind.ENGAGEMENT_RING in {f.kind for f in other.flags}
    (clean,) = score_batch(batch([honest_member()]), ctx, now=NOW)
    assert clean.flags == ()


# --- Assignment ---------------------------------------------------------------------------


def test_disputes_are_assigned_to_me_in_bulk_and_audited(alice: User, bob: User, mod: User) -> None:
    Topic.objects.create(user=alice, label="privacy")
    one = dispute_open(member=alice, subject="score", reason="Too low")
    two = dispute_open(member=alice, subject="topic", detail="privacy", reason="Not me")
    assert disputes_assign(moderator=mod, dispute_ids=[one.pk, two.pk], assignee=mod) == 2
    assert set(Dispute.objects.values_list("assignee", flat=True)) == {mod.pk}
    assert actions().count(AuditAction.DISPUTE_ASSIGNED) == 2
    with pytest.raises(DisputeRefused, match="Only moderators"):
        disputes_assign(moderator=bob, dispute_ids=[one.pk], assignee=bob)
    with pytest.raises(DisputeRefused, match="only be assigned to a moderator"):
        disputes_assign(moderator=mod, dispute_ids=[one.pk], assignee=bob)
    assert set(Dispute.objects.values_list("assignee", flat=True)) == {mod.pk}


def test_the_queue_counts_sla_breaches_and_filters_by_age_and_assignee(
    alice: User, mod: User, settings
) -> None:
    settings.MODERATION_SLA_DAYS = 7
    Topic.objects.create(user=alice, label="privacy")
    old = dispute_open(member=alice, subject="score", reason="Too low")
    Dispute.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    new = dispute_open(member=alice, subject="topic", detail="privacy", reason="Not me")
    disputes_assign(moderator=mod, dispute_ids=[new.pk], assignee=mod)

    counts = selectors.console_counts()
    assert (counts.open_disputes, counts.sla_breaches, counts.unassigned) == (2, 1, 1)

    def ids(**query: str) -> list[int]:
        filters = selectors.QueueFilters.from_query(query)
        return [d.pk for d in selectors.dispute_queue(viewer=mod, filters=filters)]

    assert ids() == [old.pk, new.pk]  # oldest first
    assert ids(sort="newest") == [new.pk, old.pk]
    assert ids(age="7") == [old.pk]
    assert ids(assignee="me") == [new.pk]
    assert ids(assignee="none") == [old.pk]
    assert ids(subject="topic") == [new.pk]
    assert ids(breached="1") == [old.pk]
    assert ids(status="rejected") == []
    settings.MODERATION_SLA_DAYS = 30
    assert selectors.console_counts().sla_breaches == 0


# --- Answers ------------------------------------------------------------------------------


def test_the_dispute_keeps_the_item_as_it_was_when_frozen(alice: User) -> None:
    score = scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    Score.objects.filter(user=alice).update(value=Decimal("99.00"))
    dispute.refresh_from_db()
    assert dispute.snapshot["value"] == str(score.value)
    assert dispute.snapshot["components"] == score.components


def test_correcting_a_topic_dispute_removes_the_topic_lifts_the_freeze_and_tells_the_member(
    alice: User, mod: User
) -> None:
    Topic.objects.create(user=alice, label="gambling", status=TopicStatus.APPROVED)
    dispute = dispute_open(member=alice, subject="topic", detail="gambling", reason="Never")
    assert Topic.objects.get(user=alice, label="gambling").disputed_since is not None

    dispute_answer(
        moderator=mod,
        dispute_id=dispute.pk,
        outcome="correct",
        correction="remove_topic",
        reason="You never posted about it; removed.",
    )

    dispute.refresh_from_db()
    assert (dispute.status, dispute.correction) == (DisputeStatus.CORRECTED, "remove_topic")
    assert not scoring_selectors.member_topics_shown(member=alice).filter(label="gambling")
    assert TopicBlock.objects.filter(user=alice, label="gambling").exists()
    note = Notification.objects.get(user=alice, kind=NotificationKind.DISPUTE_ANSWERED)
    assert note.body == "You never posted about it; removed."
    entry = AuditEntry.objects.get(action=AuditAction.DISPUTE_CORRECTED)
    assert entry.subject == alice and entry.actor == mod
    assert entry.detail["reason"] == "You never posted about it; removed."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "correct", "correction": "adjust", "points": "11"}, "between -10 and"),
        ({"outcome": "correct", "correction": "adjust", "points": "x"}, "number of points"),
        ({"outcome": "correct", "correction": "adjust", "points": "0"}, "not zero"),
        ({"outcome": "correct", "correction": "remove_topic"}, "Only a topic dispute"),
        ({"outcome": "correct", "correction": ""}, "Choose how to correct"),
        ({"outcome": "maybe"}, "Choose an answer"),
        ({"outcome": "reject", "reason": "  "}, "Write the resolution"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    alice: User, mod: User, kwargs: dict[str, str], message: str
) -> None:
    score = scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    with pytest.raises(DisputeRefused, match=message):
        dispute_answer(moderator=mod, dispute_id=dispute.pk, **{"reason": "Because", **kwargs})
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert not ScoreAdjustment.objects.exists()
    assert Score.objects.get(user=alice).value == score.value
    assert Score.objects.get(user=alice).frozen_since is not None
    assert not AuditEntry.objects.filter(action__startswith="dispute.").exists()


def test_a_manual_adjustment_is_bounded_its_own_line_and_kept_by_later_runs(
    alice: User, mod: User
) -> None:
    before = scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    dispute_answer(
        moderator=mod,
        dispute_id=dispute.pk,
        outcome="correct",
        correction="adjust",
        points="3",
        reason="Your conference talk was missing from the data.",
    )
    now = Score.objects.get(user=alice)
    assert now.value == before.value + 3
    assert Decimal(now.components["adjustment"]) == 3
    assert sum(Decimal(v) for v in now.components.values()) == now.value
    statement = scoring_selectors.activity_statement(member=alice)
    assert statement is not None
    assert [p.label for p in statement.parts if p.key == "adjustment"] == ["Moderator adjustment"]
    marks = scoring_selectors.dashboard_for_member(member=alice).marks
    assert any("Moderator adjustment: +3.00 points" in m.text for m in marks)

    score_members_now(user_ids=[alice.pk])  # a later run applies it again
    rescored = Score.objects.get(user=alice)
    assert Decimal(rescored.components["adjustment"]) == 3
    assert rescored.value == before.value + 3

    second = dispute_open(member=alice, subject="score", reason="Still too low")
    with pytest.raises(DisputeRefused, match="add up to"):
        dispute_answer(
            moderator=mod,
            dispute_id=second.pk,
            outcome="correct",
            correction="adjust",
            points="8",
            reason="More",
        )
    assert ScoreAdjustment.objects.count() == 1


# --- The deny-list ------------------------------------------------------------------------


def test_deny_listing_removes_an_approved_topic_from_everyone_and_tells_them(
    alice: User, mallory: User, mod: User
) -> None:
    Topic.objects.create(user=alice, label="health", status=TopicStatus.APPROVED)
    Topic.objects.create(user=mallory, label="health", status=TopicStatus.SUGGESTED)
    Topic.objects.create(user=mallory, label="python", status=TopicStatus.APPROVED)

    denied_topic_add(moderator=mod, label="Health", reason="sensitive category")

    assert not Topic.objects.filter(label="health").exists()
    assert Topic.objects.filter(user=mallory, label="python").exists()
    for member in (alice, mallory):
        note = Notification.objects.get(user=member, kind=NotificationKind.TOPIC_DENIED)
        assert "health" in note.title and "says nothing about you" in note.body
    entry = AuditEntry.objects.get(action=AuditAction.TOPIC_DENIED)
    assert entry.detail == {"label": "health", "reason": "sensitive category", "members": 2}

    denied = selectors.denied_topics().get()
    denied_topic_remove(moderator=mod, denied=denied, reason="listed by mistake")
    assert not Topic.objects.filter(label="health").exists()  # nothing restored
    assert AuditEntry.objects.get(action=AuditAction.TOPIC_ALLOWED).detail == {
        "label": "health",
        "reason": "listed by mistake",
    }


# --- Flag reviews -------------------------------------------------------------------------


def test_dismissing_a_flag_records_it_removes_it_and_scoring_is_told(
    alice: User, bob: User, mod: User
) -> None:
    flag = GamingFlag.objects.create(
        user=alice, kind="engagement_ring", evidence={"ring_size": 5.0}, discount=0.5,
        run_id="00000000-0000-0000-0000-000000000001",
    )  # fmt: skip
    with pytest.raises(FlagReviewRefused, match="Write why"):
        flag_review(moderator=mod, flag_id=flag.pk, decision="dismissed", reason=" ")
    with pytest.raises(FlagReviewRefused, match="Only moderators"):
        flag_review(moderator=bob, flag_id=flag.pk, decision="dismissed", reason="No")
    assert not FlagReview.objects.exists() and GamingFlag.objects.filter(pk=flag.pk).exists()

    flag_review(moderator=mod, flag_id=flag.pk, decision="dismissed", reason="Real friends")

    assert not GamingFlag.objects.filter(pk=flag.pk).exists()
    assert flags_dismissed(member_ids=[alice.pk, bob.pk]) == {alice.pk: {"engagement_ring"}}
    review = FlagReview.objects.get()
    assert review.evidence == {"ring_size": 5.0} and review.moderator == mod
    assert AuditAction.FLAG_DISMISSED in actions()


def test_a_later_confirmation_brings_a_dismissed_kind_back(alice: User, mod: User) -> None:
    for decision in ("dismissed", "confirmed"):
        flag = GamingFlag.objects.create(
            user=alice, kind="follower_burst", evidence={}, discount=0.5,
            run_id="00000000-0000-0000-0000-000000000002",
        )  # fmt: skip
        flag_review(moderator=mod, flag_id=flag.pk, decision=decision, reason="Looked again")
        FlagReview.objects.filter(decision=decision).update(
            created_at=timezone.now() - timedelta(minutes=5 if decision == "dismissed" else 0)
        )
    assert flags_dismissed(member_ids=[alice.pk]) == {}


# --- Investigation freezes ----------------------------------------------------------------


def test_a_freeze_holds_the_score_shows_its_reason_and_is_lifted_by_a_moderator(
    alice: User, mod: User
) -> None:
    score = scored(alice)
    freeze = scoring_freeze(moderator=mod, member_id=alice.pk, reason="Checking a sudden jump")
    with pytest.raises(FreezeRefused, match="frozen already"):
        scoring_freeze(moderator=mod, member_id=alice.pk, reason="Again")
    Score.objects.filter(user=alice).update(value=Decimal("50.00"))  # mark the shown value
    score_members_now(user_ids=[alice.pk])
    assert Score.objects.get(user=alice).value == Decimal("50.00")  # not replaced
    d = scoring_selectors.dashboard_for_member(member=alice)
    assert d.holds == ["The moderators' reason: Checking a sudden jump"]

    with pytest.raises(FreezeRefused, match="Write the reason"):
        scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="")
    scoring_unfreeze(moderator=mod, freeze_id=freeze.pk, reason="Nothing wrong")
    assert Score.objects.get(user=alice).frozen_since is None
    assert scoring_selectors.dashboard_for_member(member=alice).holds == []
    score_members_now(user_ids=[alice.pk])
    assert Score.objects.get(user=alice).value == score.value
    assert [a for a in actions() if a.startswith("scoring.")] == [
        AuditAction.SCORING_FROZEN,
        AuditAction.SCORING_UNFROZEN,
    ]


def test_answering_a_score_dispute_keeps_an_investigation_freeze(alice: User, mod: User) -> None:
    scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    scoring_freeze(moderator=mod, member_id=alice.pk, reason="Investigating")
    dispute_answer(moderator=mod, dispute_id=dispute.pk, outcome="uphold", reason="Right")
    assert Score.objects.get(user=alice).frozen_since is not None


# --- Pages --------------------------------------------------------------------------------


def test_a_moderator_answers_from_the_console_and_a_bad_answer_keeps_the_form(
    client: Client, alice: User, mod: User
) -> None:
    scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="My followers are real.")
    client.force_login(mod)
    page = client.get(reverse("console_dispute", args=[dispute.pk])).content.decode()
    assert "My followers are real." in page and 'data-testid="activity-statement"' in page
    url = reverse("console_dispute_resolve", args=[dispute.pk])

    bad = client.post(url, {"outcome": "reject", "reason": ""})
    assert bad.status_code == 400 and "Write the resolution" in bad.content.decode()
    ok = client.post(url, {"outcome": "reject", "reason": "The data is right."})

    assert ok.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED and dispute.resolved_by == mod


def test_the_console_shows_no_tokens_handle_keys_or_raw_signals(
    client: Client, alice: User, mod: User
) -> None:
    from signals.models import Engagement

    scored(alice)
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    client.force_login(mod)
    page = client.get(reverse("console_dispute", args=[dispute.pk])).content.decode()
    for counterpart in Engagement.objects.filter(source__user=alice).values_list(
        "counterpart", flat=True
    )[:20]:
        assert str(counterpart) not in page
    alice.refresh_from_db()
    assert alice.password and alice.password not in page
