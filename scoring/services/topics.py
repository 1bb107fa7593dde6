"""A member's own choices about their topics (invariant 4): only they change them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from scoring.model import sensitive_category
from scoring.model.topics import normalise
from scoring.models import DeniedTopic, Topic, TopicOrigin, TopicStatus


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
    if DeniedTopic.objects.filter(label=clean).exists():
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
    return topic


@transaction.atomic
def denied_topic_add(*, moderator: User, label: str, reason: str) -> DeniedTopic:
    """Add a topic to the global deny-list: never suggested to anyone again. Audited."""
    from profiles.services.audit import audit_record

    clean = normalise(label)
    if not clean or not reason.strip():
        raise TopicError("A deny-listed topic needs a label and a written reason.")
    denied, _ = DeniedTopic.objects.get_or_create(label=clean, defaults={"reason": reason})
    # Suggestions already waiting go at once; topics members chose themselves stay theirs.
    Topic.objects.filter(label=clean, status=TopicStatus.SUGGESTED).delete()
    audit_record(action="topic.deny", actor=moderator, detail={"label": clean, "reason": reason})
    return denied


@transaction.atomic
def denied_topic_remove(*, moderator: User, denied: DeniedTopic) -> None:
    from profiles.services.audit import audit_record

    audit_record(action="topic.allow", actor=moderator, detail={"label": denied.label})
    denied.delete()
