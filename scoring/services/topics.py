"""A member's own choices about their topics (invariant 4): only they change them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from profiles.models import User
from profiles.public_cache import public_page_cache_clear
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from scoring.hooks import labels_denied
from scoring.model import sensitive_category
from scoring.model.topics import normalise
from scoring.models import Topic, TopicOrigin, TopicStatus


class TopicError(Exception):
    """A topic change that cannot be made; the message is for the member."""


@transaction.atomic
def topic_decide(*, member: User, topic_id: int, status: str) -> Topic:
    """Approve, reject or block one of the member's own topics."""
    if status not in (TopicStatus.APPROVED, TopicStatus.REJECTED, TopicStatus.BLOCKED):
        raise TopicError("Choose approve, reject or block.")
    topic = Topic.objects.select_for_update().filter(pk=topic_id, user=member).first()
    if topic is None:
        raise TopicError("No such topic.")
    topic.status = status
    topic.updated_at = timezone.now()
    topic.save(update_fields=["status", "updated_at"])
    public_page_cache_clear(user_ids=[member.pk])
    return topic


@transaction.atomic
def topic_add(*, member: User, label: str) -> Topic:
    """Add a topic the member chooses themself, sensitive ones included; it is approved."""
    User.objects.select_for_update().filter(pk=member.pk).first()
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        raise TopicError("Topics need your consent to “Score my activity”.")
    clean = normalise(label)
    if not clean or len(clean) > 100:
        raise TopicError("A topic is one to a hundred letters, digits or spaces.")
    if labels_denied({clean}):
        raise TopicError(f"“{clean}” is not allowed on Influence.")
    topic, created = Topic.objects.get_or_create(
        user=member,
        label=clean,
        defaults={
            "status": TopicStatus.APPROVED,
            "origin": TopicOrigin.MEMBER,
            "sensitive_category": sensitive_category(clean) or "",
        },
    )
    if not created:
        topic.status = TopicStatus.APPROVED
        topic.save(update_fields=["status"])
    public_page_cache_clear(user_ids=[member.pk])
    return topic
