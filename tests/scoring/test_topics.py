"""Topics: the member's one-click choices, blocks that outlive rescoring and withdrawal,
the second confirmation for sensitive topics, and deletion."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation.models import DeniedTopic
from profiles.models import AuditEntry, User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from profiles.services.erasure import account_erase
from scoring.models import Topic, TopicBlock, TopicStatus
from scoring.services.runs import score_members_now
from scoring.services.topics import (
    SensitiveTopicUnconfirmed,
    TopicError,
    topic_add,
    topic_block,
    topic_decide,
    topic_delete,
    topic_unblock,
)
from tests.scoring.builders import scored, sources_add, topics_add

pytestmark = pytest.mark.django_db


def test_a_blocked_topic_stays_blocked_through_rescoring_withdrawal_and_regrant(
    alice: User,
) -> None:
    scored(alice)
    python = Topic.objects.get(user=alice, label="python")
    topic_block(member=alice, topic_id=python.pk)
    score_members_now(user_ids=[alice.pk])
    assert Topic.objects.get(user=alice, label="python").status == TopicStatus.BLOCKED

    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert not Topic.objects.filter(user=alice).exists()
    assert TopicBlock.objects.filter(user=alice, label="python").exists()

    consent_give(user=alice, purpose=Purpose.SCORING)
    scored(alice)
    labels = dict(Topic.objects.filter(user=alice).values_list("label", "status"))
    assert labels.get("privacy") == TopicStatus.SUGGESTED
    assert "python" not in labels or labels["python"] == TopicStatus.BLOCKED


def test_only_account_erasure_removes_a_block(alice: User) -> None:
    TopicBlock.objects.create(user=alice, label="python")
    account_erase(user=alice)
    assert not TopicBlock.objects.exists()


def test_unblocking_lets_the_posts_suggest_it_again(alice: User) -> None:
    scored(alice)
    python = Topic.objects.get(user=alice, label="python")
    topic_block(member=alice, topic_id=python.pk)
    block = TopicBlock.objects.get(user=alice, label="python")
    assert topic_unblock(member=alice, block_id=block.pk) == "python"
    assert not TopicBlock.objects.exists()
    score_members_now(user_ids=[alice.pk])
    assert Topic.objects.get(user=alice, label="python").status == TopicStatus.SUGGESTED


def test_adding_an_existing_or_blocked_topic_says_so_and_changes_nothing(alice: User) -> None:
    topic = topic_add(member=alice, label="Privacy")
    with pytest.raises(TopicError, match="already one of your topics"):
        topic_add(member=alice, label="#privacy")
    topic_block(member=alice, topic_id=topic.pk)
    with pytest.raises(TopicError, match="You blocked"):
        topic_add(member=alice, label="privacy")
    assert Topic.objects.filter(user=alice).count() == 1


def test_a_sensitive_topic_needs_a_second_confirmation_to_be_approved(alice: User) -> None:
    with pytest.raises(SensitiveTopicUnconfirmed, match="special category"):
        topic_add(member=alice, label="health")
    assert not Topic.objects.filter(user=alice).exists()
    suggested = Topic.objects.create(user=alice, label="diabetes", sensitive_category="health")
    with pytest.raises(SensitiveTopicUnconfirmed):
        topic_decide(member=alice, topic_id=suggested.pk, status=TopicStatus.APPROVED)
    suggested.refresh_from_db()
    assert suggested.status == TopicStatus.SUGGESTED
    topic_decide(
        member=alice, topic_id=suggested.pk, status=TopicStatus.APPROVED, confirm_sensitive=True
    )
    suggested.refresh_from_db()
    assert suggested.status == TopicStatus.APPROVED


def test_a_denied_label_cannot_be_approved(alice: User) -> None:
    topic = Topic.objects.create(user=alice, label="crypto")
    DeniedTopic.objects.create(label="crypto", reason="spam")
    with pytest.raises(TopicError, match="not allowed"):
        topic_decide(member=alice, topic_id=topic.pk, status=TopicStatus.APPROVED)


def test_deleting_a_topic_is_audited(alice: User) -> None:
    topic = Topic.objects.create(user=alice, label="python")
    assert topic_delete(member=alice, topic_id=topic.pk) == "python"
    assert not Topic.objects.filter(pk=topic.pk).exists()
    entry = AuditEntry.objects.get(action="topic.deleted")
    assert entry.detail == {"topic": "python"}


def test_one_click_each_through_the_page(client, alice: User) -> None:
    topic = Topic.objects.create(user=alice, label="python")
    client.force_login(alice)
    url = reverse("topic_change", args=[topic.pk])
    client.post(url, {"action": "reject"})
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.REJECTED
    client.post(url, {"action": "approve"})
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.APPROVED
    client.post(url, {"action": "block"})
    block = TopicBlock.objects.get(user=alice)
    page = client.get(reverse("topics")).content.decode()
    assert 'data-testid="blocked-python"' in page
    client.post(reverse("topic_unblock", args=[block.pk]))
    assert not TopicBlock.objects.exists()
    other = Topic.objects.create(user=alice, label="rust")
    bad = client.post(reverse("topic_change", args=[other.pk]), {"action": "shout"})
    assert bad.status_code == 400 and "Choose approve" in bad.content.decode()
    response = client.post(reverse("topic_change", args=[other.pk]), {"action": "delete"})
    assert response.status_code == 302
    assert not Topic.objects.filter(pk=other.pk).exists()


def test_approving_a_sensitive_topic_on_the_page_explains_why_first(client, alice: User) -> None:
    topic = Topic.objects.create(user=alice, label="diabetes", sensitive_category="health")
    client.force_login(alice)
    url = reverse("topic_change", args=[topic.pk])
    page = client.post(url, {"action": "approve"}).content.decode()
    assert "special category" in page and 'name="confirm" value="yes"' in page
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.SUGGESTED
    client.post(url, {"action": "approve", "confirm": "yes"})
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.APPROVED


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_topics_page_takes_the_same_queries_with_1_or_500_topics(
    client, alice: User, mallory: User, django_assert_max_num_queries
) -> None:
    topics_add(mallory, 1)
    TopicBlock.objects.create(user=mallory, label="x")
    client.force_login(mallory)
    few = _count(client, reverse("topics"))
    topics_add(alice, 500)
    TopicBlock.objects.bulk_create(TopicBlock(user=alice, label=f"b{i}") for i in range(500))
    sources_add(alice, 500)
    client.force_login(alice)
    with django_assert_max_num_queries(few):
        client.get(reverse("topics"))
