"""The moderators' global topic deny-list (invariant 4): labels nobody may hold."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from moderation.models import DeniedTopic
from profiles.models import AuditAction, NotificationKind, User
from profiles.services.audit import audit_record
from profiles.services.notifications import NotificationItem, notifications_send
from scoring.model.topics import normalise
from scoring.models import Topic, TopicStatus
from scoring.services.topics import TopicError


def denied_among(*, labels: set[str] | None) -> set[str]:
    """Which of `labels` (all, when None) are deny-listed; fills ``scoring.hooks.denied_labels``."""
    denied = DeniedTopic.objects.all()
    if labels is not None:
        denied = denied.filter(label__in=labels)
    return set(denied.values_list("label", flat=True))


@transaction.atomic
def denied_topic_add(*, moderator: User, label: str, reason: str) -> DeniedTopic:
    """Add a topic to the global deny-list: never suggested to anyone again. Audited."""
    clean = normalise(label)
    if not clean or not reason.strip():
        raise TopicError("A deny-listed topic needs a label and a written reason.")
    denied, _ = DeniedTopic.objects.get_or_create(label=clean, defaults={"reason": reason})
    # Suggestions already waiting go at once; topics members chose themselves stay theirs.
    removed = Topic.objects.filter(label=clean, status=TopicStatus.SUGGESTED)
    notifications_send(
        [
            NotificationItem(
                user_id=uid,
                kind=NotificationKind.TOPIC_DENIED,
                title=f"The suggested topic “{clean}” was removed",
                body="Moderators keep a list of topics Influence never suggests to anyone; "
                "this one is on it now.",
                url=reverse("topics"),
            )
            for uid in removed.values_list("user_id", flat=True)
        ]
    )
    removed.delete()
    audit_record(
        action=AuditAction.TOPIC_DENIED,
        actor=moderator,
        detail={"label": clean, "reason": reason},
    )
    return denied


@transaction.atomic
def denied_topic_remove(*, moderator: User, denied: DeniedTopic) -> None:
    audit_record(action=AuditAction.TOPIC_ALLOWED, actor=moderator, detail={"label": denied.label})
    denied.delete()
