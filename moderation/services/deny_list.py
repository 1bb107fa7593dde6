"""The moderators' global topic deny-list (invariant 4): labels nobody may hold."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from moderation.models import DeniedTopic
from profiles.models import AuditAction, NotificationKind, User
from profiles.public_cache import public_page_cache_clear
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
    """Add a label to the global deny-list. It goes at once from every member who holds
    it (suggested, approved or rejected; a member's own block stays) and from public pages
    and their caches; members who lose it are told in neutral words. Audited."""
    if not moderator.has_perm("moderation.add_deniedtopic"):
        raise TopicError("Only moderators keep the deny-list.")
    clean = normalise(label)
    reason = (reason or "").strip()
    if not clean or not reason:
        raise TopicError("A deny-listed topic needs a label and a written reason.")
    if len(reason) > 300:
        raise TopicError("Keep the reason under 300 characters.")
    # Adding a label already listed keeps its first reason and sweeps again (idempotent).
    denied, _ = DeniedTopic.objects.get_or_create(label=clean, defaults={"reason": reason})
    removed = Topic.objects.filter(label=clean).exclude(status=TopicStatus.BLOCKED)
    losers = sorted(set(removed.values_list("user_id", flat=True)))
    notifications_send(
        [
            NotificationItem(
                user_id=uid,
                kind=NotificationKind.TOPIC_DENIED,
                title=f"The topic “{clean}” was removed",
                body="Moderators keep a short list of labels Influence never shows for "
                "anyone, whoever holds them. This label was added to it, so it was removed "
                "from your topics and your public page. It says nothing about you or your "
                "posts, and nothing else changed.",
                url=reverse("topics"),
            )
            for uid in losers
        ]
    )
    removed.delete()
    public_page_cache_clear(user_ids=losers)
    audit_record(
        action=AuditAction.TOPIC_DENIED,
        actor=moderator,
        detail={"label": clean, "reason": reason, "members": len(losers)},
    )
    return denied


@transaction.atomic
def denied_topic_remove(*, moderator: User, denied: DeniedTopic, reason: str = "") -> None:
    """Take a label off the deny-list; audited. Restores nothing: members' posts may
    suggest it again, for them to approve."""
    if not moderator.has_perm("moderation.delete_deniedtopic"):
        raise TopicError("Only moderators keep the deny-list.")
    audit_record(
        action=AuditAction.TOPIC_ALLOWED,
        actor=moderator,
        detail={"label": denied.label, "reason": (reason or "").strip()},
    )
    denied.delete()
