"""A member's own choices about their topics (invariant 4): only they change them.

Approved topics are the only ones anyone else may see, so approving (or adding) a topic in
a GDPR Art. 9 category needs the member's explicit second confirmation. A block is the
member's protective preference, kept in its own table: rescoring and the withdrawal of
scoring leave it, and only account erasure removes it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from profiles.models import AuditAction, User
from profiles.public_cache import public_page_cache_clear
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from profiles.services.audit import audit_record
from scoring.hooks import labels_denied
from scoring.model import sensitive_category
from scoring.model.topics import normalise
from scoring.models import Topic, TopicBlock, TopicOrigin, TopicStatus

SENSITIVE_WHY = (
    "“{label}” looks like a topic about {category}: the law (GDPR Art. 9) treats it as a "
    "special category of personal data, because it can expose you to discrimination. "
    "Approved topics appear on your public page and in the directory if you have turned "
    "those on. Approve it only if you want everyone to see it."
)


class TopicError(Exception):
    """A topic change that cannot be made; the message is for the member."""


class SensitiveTopicUnconfirmed(TopicError):
    """Showing this topic needs the member's explicit second confirmation."""

    def __init__(self, *, label: str, category: str) -> None:
        self.label = label
        self.category = category
        super().__init__(SENSITIVE_WHY.format(label=label, category=category))


def _locked_topic(member: User, topic_id: int) -> Topic:
    topic = Topic.objects.select_for_update().filter(pk=topic_id, user=member).first()
    if topic is None:
        raise TopicError("No such topic.")
    return topic


def _set_status(topic: Topic, status: str) -> Topic:
    topic.status = status
    topic.updated_at = timezone.now()
    topic.save(update_fields=["status", "updated_at"])
    public_page_cache_clear(user_ids=[topic.user_id])
    return topic


@transaction.atomic
def topic_decide(
    *, member: User, topic_id: int, status: str, confirm_sensitive: bool = False
) -> Topic:
    """Approve, reject or block one of the member's own topics. Approving a sensitive
    one without ``confirm_sensitive`` raises ``SensitiveTopicUnconfirmed``."""
    if status == TopicStatus.BLOCKED:
        return topic_block(member=member, topic_id=topic_id)
    if status not in (TopicStatus.APPROVED, TopicStatus.REJECTED):
        raise TopicError("Choose approve, reject or block.")
    topic = _locked_topic(member, topic_id)
    if status == TopicStatus.APPROVED:
        if labels_denied({topic.label}):
            raise TopicError(f"“{topic.label}” is not allowed on Influence.")
        category = topic.sensitive_category or sensitive_category(topic.label) or ""
        if category and not confirm_sensitive:
            raise SensitiveTopicUnconfirmed(label=topic.label, category=category)
    return _set_status(topic, status)


@transaction.atomic
def topic_block(*, member: User, topic_id: int) -> Topic:
    """Block a topic: hidden, never suggested again, kept through withdrawal of scoring."""
    topic = _locked_topic(member, topic_id)
    TopicBlock.objects.get_or_create(user=member, label=topic.label)
    return _set_status(topic, TopicStatus.BLOCKED)


@transaction.atomic
def topic_unblock(*, member: User, block_id: int) -> str:
    """Lift a block; the topic goes too, so the member's posts may suggest it again later.
    Returns the label."""
    block = TopicBlock.objects.select_for_update().filter(pk=block_id, user=member).first()
    if block is None:
        raise TopicError("No such blocked topic.")
    Topic.objects.filter(user=member, label=block.label, status=TopicStatus.BLOCKED).delete()
    block.delete()
    return block.label


@transaction.atomic
def topic_delete(*, member: User, topic_id: int) -> str:
    """Delete one of the member's topics; audited. A label they blocked stays blocked.
    Returns the label."""
    topic = _locked_topic(member, topic_id)
    label = topic.label
    topic.delete()
    audit_record(
        action=AuditAction.TOPIC_DELETED, subject=member, actor=member, detail={"topic": label}
    )
    public_page_cache_clear(user_ids=[member.pk])
    return label


@transaction.atomic
def topic_add(*, member: User, label: str, confirm_sensitive: bool = False) -> Topic:
    """Add a topic the member chooses themself; it is approved. A sensitive one needs
    ``confirm_sensitive``; one they already hold, or blocked, is refused with a reason."""
    User.objects.select_for_update().filter(pk=member.pk).first()
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        raise TopicError("Topics need your consent to “Score my activity”.")
    clean = normalise(label)
    if not clean or len(clean) > 100:
        raise TopicError("A topic is one to a hundred letters, digits or spaces.")
    if labels_denied({clean}):
        raise TopicError(f"“{clean}” is not allowed on Influence.")
    if TopicBlock.objects.filter(user=member, label=clean).exists():
        raise TopicError(f"You blocked “{clean}”. Unblock it below first if you want it.")
    existing = Topic.objects.filter(user=member, label=clean).first()
    if existing is not None:
        raise TopicError(
            f"“{clean}” is already one of your topics ({existing.get_status_display().lower()})."
        )
    category = sensitive_category(clean) or ""
    if category and not confirm_sensitive:
        raise SensitiveTopicUnconfirmed(label=clean, category=category)
    topic = Topic.objects.create(
        user=member,
        label=clean,
        status=TopicStatus.APPROVED,
        origin=TopicOrigin.MEMBER,
        sensitive_category=category,
    )
    public_page_cache_clear(user_ids=[member.pk])
    return topic
