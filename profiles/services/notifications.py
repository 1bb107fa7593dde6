"""Notifications: what the member is told, on site and, for the kinds they chose, by email.

profiles is the lowest app, so every app calls ``notification_send`` (or
``notifications_send`` for a batch) from the service where the event happens, inside its
transaction. An email is sent by a Celery task after the transaction commits (enqueued by
name); the task claims the row, so a redelivered message sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from profiles import enqueue
from profiles.member_cache import member_version_bump
from profiles.models import Notification, NotificationEmailChoice, NotificationKind, User

log = logging.getLogger(__name__)


class NotificationError(Exception):
    """A notification change that cannot be made; the message is for the member."""


@dataclass(frozen=True)
class NotificationItem:
    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""


def notifications_send(items: Sequence[NotificationItem]) -> list[Notification]:
    """Store one notification per item (one INSERT) and email those whose kind the member
    chose, once the current transaction commits."""
    if not items:
        return []
    for item in items:
        if item.kind not in NotificationKind.values:
            raise ValueError(f"Unknown notification kind {item.kind!r}.")
    chosen = set(
        NotificationEmailChoice.objects.filter(
            user_id__in={i.user_id for i in items}, kind__in={i.kind for i in items}
        ).values_list("user_id", "kind")
    )
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=i.user_id,
                kind=i.kind,
                title=i.title[:200],
                body=i.body,
                url=i.url[:500],
                created_at=now,
                email_wanted=(i.user_id, i.kind) in chosen,
            )
            for i in items
        ]
    )
    for user_id in {i.user_id for i in items}:
        member_version_bump(user_id=user_id)  # bulk_create sends no post_save
    ids = [n.pk for n in rows if n.email_wanted and n.pk is not None]
    if ids:
        enqueue.notification_emails_send(notification_ids=ids)
    return rows


def notification_send(
    *, user_id: int, kind: str, title: str, body: str = "", url: str = ""
) -> Notification:
    """Tell one member about one event (see ``NotificationKind``)."""
    item = NotificationItem(user_id=user_id, kind=kind, title=title, body=body, url=url)
    return notifications_send([item])[0]


@transaction.atomic
def notifications_mark_read(*, member: User, ids: Iterable[int] | None = None) -> int:
    """Mark the member's notifications read: these ids (only theirs), or all of them."""
    unread = Notification.objects.filter(user=member, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    member_version_bump(user_id=member.pk)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_email_choices_set(*, member: User, kinds: Iterable[str]) -> set[str]:
    """Which kinds of notification the member also wants by email (the rest: on site only)."""
    wanted = set(kinds)
    unknown = wanted - set(NotificationKind.values)
    if unknown:
        raise NotificationError("Choose among the kinds of notification listed.")
    NotificationEmailChoice.objects.filter(user=member).exclude(kind__in=wanted).delete()
    held = set(NotificationEmailChoice.objects.filter(user=member).values_list("kind", flat=True))
    NotificationEmailChoice.objects.bulk_create(
        [NotificationEmailChoice(user=member, kind=k) for k in sorted(wanted - held)]
    )
    return wanted


def site_name() -> str:
    """How emails name the site: its host from SITE_URL (e.g. "influence.example.org")."""
    return urlsplit(settings.SITE_URL).hostname or settings.SITE_URL


def notification_email_render(notification: Notification) -> tuple[str, str, str]:
    """Subject, text body and HTML body of a notification's email."""
    context = {
        "notification": notification,
        "site_name": site_name(),
        "site_url": settings.SITE_URL,
        "link": f"{settings.SITE_URL}{notification.url}" if notification.url else "",
        "settings_link": f"{settings.SITE_URL}{reverse('notifications')}",
    }
    subject = render_to_string("email/notification-subject.txt", context)
    text = render_to_string("email/notification-body.txt", context)
    html = render_to_string("email/notification-body.html", context)
    return " ".join(subject.split()), text, html


def notification_emails_send(*, notification_ids: Sequence[int]) -> int:
    """Send the emails of these notifications (the worker's job); returns how many went.

    Each row is claimed by a conditional update first, so a redelivered task sends nothing
    twice; a member who since untick the kind, or whose account went, gets nothing.
    """
    sent = 0
    for pk in notification_ids:
        claimed = Notification.objects.filter(
            pk=pk, email_wanted=True, emailed_at__isnull=True
        ).update(emailed_at=timezone.now())
        if not claimed:
            continue
        n = Notification.objects.select_related("user").get(pk=pk)
        if not NotificationEmailChoice.objects.filter(user_id=n.user_id, kind=n.kind).exists():
            continue
        subject, text, html = notification_email_render(n)
        message = EmailMultiAlternatives(subject, text, to=[n.user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        sent += 1
    return sent
