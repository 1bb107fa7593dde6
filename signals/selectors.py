"""Reads about sources and imports. Protected objects are fetched only through these."""

from __future__ import annotations

import uuid
from datetime import datetime

from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from django.http import Http404

from profiles.models import User
from signals.models import ImportJob, Source


def import_job_for_member(*, member: User, job_id: uuid.UUID | str) -> ImportJob:
    """One import job, only for its own member; anything else is a 404."""
    job = ImportJob.objects.filter(pk=job_id).filter(user=member).first()
    if job is None:
        raise Http404("No such import.")
    return job


def member_sources(*, member: User) -> QuerySet[Source]:
    return Source.objects.filter(user=member).order_by("network", "handle")


def source_for_member(*, member: User, source_id: int) -> Source:
    """One source, only for its own member; anything else is a 404."""
    source = Source.objects.filter(pk=source_id).filter(user=member).first()
    if source is None:
        raise Http404("No such source.")
    return source


CONNECTABLE_PROVIDERS = ("github", "mastodon")


def social_account_for_member(*, member: User, account_id: int) -> SocialAccount:
    """One of the member's GitHub or Mastodon accounts; anything else is a 404."""
    account = (
        SocialAccount.objects.filter(pk=account_id)
        .filter(user=member)
        .filter(provider__in=CONNECTABLE_PROVIDERS)
        .first()
    )
    if account is None:
        raise Http404("No such account.")
    return account


def member_unused_accounts(*, member: User) -> QuerySet[SocialAccount]:
    """The member's GitHub or Mastodon sign-in accounts that are not a source."""
    return SocialAccount.objects.filter(
        user=member, provider__in=CONNECTABLE_PROVIDERS, influence_source__isnull=True
    ).order_by("provider", "id")


def account_just_connected(*, member: User, provider: str, since: datetime) -> SocialAccount | None:
    """The member's account of `provider` that allauth connected or updated since `since`."""
    return (
        SocialAccount.objects.filter(user=member, provider=provider, last_login__gte=since)
        .order_by("-last_login")
        .first()
    )


def member_imports(*, member: User, limit: int = 10) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(user=member).order_by("-created_at")[:limit]
