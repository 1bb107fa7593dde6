"""Connected sources: connect, sync and disconnect (verified data, fetched with the member's token).

A connected source is a `Source` with `verified=True` linked to an allauth SocialAccount
whose stored token the connectors (`scoring/connectors/`) use. A sync runs the connector
outside any transaction, passes its archive-v1 records through `read_archive` in memory
(validation and HMAC hashing, exactly as for an upload), and stores the aggregates in one
transaction that re-checks scoring consent under the member row lock. Counterparts never
leave the connector's records in clear: not in logs, task arguments or the database.

Scheduling lives in the database: `Source.next_sync_at` is when the source is next due
and, while a sync is queued or running, how long that claim lasts. The beat dispatcher
claims due sources with a conditional update; a claim whose task died runs out and is
claimed again, so a lost broker message only delays a sync.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent, users_with_active_consent
from signals import enqueue, hooks
from signals.archive import Archive, ArchiveInvalid, make_hasher, normalise_handle, read_archive
from signals.archive.model import EdgeAgg, PostAgg
from signals.connectors.errors import ConnectorError, ProviderUnavailable, RateLimited
from signals.connectors.github import github_sync
from signals.connectors.http import normalise_instance
from signals.connectors.mastodon import mastodon_sync
from signals.connectors.parsing import SyncResult, iso, parse_time
from signals.models import Engagement, ImportJob, ImportStatus, Post, Source, SourceKind, SyncStatus
from signals.services.rows import (
    engagements_insert,
    follows_replace,
    posts_insert,
    source_delete,
    source_signals_replace,
)

log = logging.getLogger(__name__)

# allauth provider id -> source kind; the kind's value is also the archive network.
PROVIDER_KINDS = {"github": SourceKind.GITHUB, "mastodon": SourceKind.MASTODON}
# How long a claim (queued or running) lasts: well past source_sync's hard time limit,
# so only a sync whose worker died is claimed twice.
SYNC_LEASE = timedelta(minutes=30)
# A sync cut short on purpose (page limit, rate budget) carries on this soon.
CONTINUE_AFTER = timedelta(minutes=15)
CHUNK = 500

T = TypeVar("T")


class SourceRefused(Exception):
    """A connection that cannot go ahead; the message is for the member."""


class _SyncStopped(Exception):
    """A sync that cannot run as configured; the message is for the member."""


# --- Connecting -----------------------------------------------------------------------


def source_connect(
    *, user_id: int, social_account_id: int, discard_on_refusal: bool = False
) -> Source:
    """Make a connected account a verified source and queue its first sync.

    Refuses (SourceRefused) without scoring consent, or when another member has already
    connected the handle. An archive's claim to it, the member's own or anyone's, is
    replaced: the connection is the verified version of it. Connecting again (after a revoked token)
    relinks the source and queues a sync. With `discard_on_refusal`, a refused account
    that was connected just for this is deleted with its token, unless the member needs
    it to sign in.
    """
    try:
        return _source_connect(user_id=user_id, social_account_id=social_account_id)
    except SourceRefused:
        if discard_on_refusal:
            social_account_discard(user_id=user_id, social_account_id=social_account_id)
        raise


@transaction.atomic
def _source_connect(*, user_id: int, social_account_id: int) -> Source:
    member = User.objects.select_for_update().get(pk=user_id)
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        raise SourceRefused(
            "Connecting an account for scoring needs your consent to “Score my activity”. "
            "Grant it in the consent centre first."
        )
    account = (
        SocialAccount.objects.select_for_update()
        .filter(pk=social_account_id, user_id=member.pk, provider__in=PROVIDER_KINDS)
        .first()
    )
    if account is None:
        raise SourceRefused("That account is no longer connected; connect it again.")
    kind = PROVIDER_KINDS[account.provider]
    handle = _account_handle(account)
    handle_hash = make_hasher(settings.HANDLE_HASH_KEY, kind.value)(handle)

    # Other members' archive (self-reported) claims of this handle coexist with this one
    # and are left alone; only a verified claim is exclusive.
    claimed = (
        Source.objects.select_for_update()
        .filter(Q(verified=True) | Q(user=member), handle_hash=handle_hash)
        .order_by("-verified")
        .first()
    )
    if claimed is not None and claimed.user_id != member.pk:
        raise SourceRefused(
            f"This {kind.label} account is already connected by another member, so it was "
            "not connected. If it is yours, contact support."
        )
    replaced_archive = False
    if claimed is not None and not claimed.verified:
        # The member's own self-reported copy of this account: the verified connection
        # takes its place, and the archive's rows go with it.
        source_delete(claimed)
        claimed, replaced_archive = None, True
    linked = Source.objects.select_for_update().filter(social_account=account).first()
    if claimed is not None and linked is not None and claimed.pk != linked.pk:
        raise SourceRefused(
            f"This {kind.label} account is already one of your sources under another "
            "connection; disconnect that one first."
        )
    source = linked or claimed
    now = timezone.now()
    if source is None:
        source = Source.objects.create(
            user=member,
            kind=kind,
            network=kind.value,
            handle=handle,
            handle_hash=handle_hash,
            verified=True,
            social_account=account,
            sync_status=SyncStatus.QUEUED,
            next_sync_at=now + SYNC_LEASE,
        )
    else:
        source.social_account = account
        source.handle, source.handle_hash = handle, handle_hash
        source.sync_status, source.sync_error = SyncStatus.QUEUED, ""
        source.next_sync_at = now + SYNC_LEASE
        source.save(
            update_fields=[
                "social_account",
                "handle",
                "handle_hash",
                "sync_status",
                "sync_error",
                "next_sync_at",
            ]
        )
    enqueue.source_sync_run(source_id=source.pk)
    if replaced_archive:
        _request_score(member.pk)
    log.info("member %s connected source %s (%s)", member.pk, source.pk, kind.value)
    return source


def _account_handle(account: SocialAccount) -> str:
    data = account.extra_data if isinstance(account.extra_data, dict) else {}
    raw = data.get("login") if account.provider == "github" else data.get("handle")
    unknown = SourceRefused("We couldn't tell which account this is; please connect it again.")
    if not isinstance(raw, str):
        raise unknown
    try:
        return normalise_handle(raw)
    except ValueError:
        raise unknown from None


@transaction.atomic
def social_account_discard(*, user_id: int, social_account_id: int) -> bool:
    """Delete a connected account no source uses, with its tokens; keep one needed to sign in."""
    account = (
        SocialAccount.objects.select_for_update()
        .filter(pk=social_account_id, user_id=user_id)
        .first()
    )
    if account is None or Source.objects.filter(social_account=account).exists():
        return False
    if not _can_sign_in_without(account):
        return False
    account.delete()
    return True


def _can_sign_in_without(account: SocialAccount) -> bool:
    others = SocialAccount.objects.filter(user_id=account.user_id).exclude(pk=account.pk)
    user = User.objects.get(pk=account.user_id)
    return user.has_usable_password() or others.exists()


# --- Disconnecting --------------------------------------------------------------------


@transaction.atomic
def source_disconnect(*, user_id: int, source_id: int) -> bool:
    """Delete one source, every row it brought, and its connection's token; then rescore.

    The allauth account goes too, unless the member signs in with it and has no other
    way in: then only its tokens are deleted. Returns False for another member's source.
    """
    member = User.objects.select_for_update().get(pk=user_id)
    source = Source.objects.select_for_update().filter(pk=source_id, user_id=member.pk).first()
    if source is None:
        return False
    account_id = source.social_account_id
    source_delete(source)
    if account_id is not None:
        account = SocialAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is not None:
            if _can_sign_in_without(account):
                account.delete()
            else:
                SocialToken.objects.filter(account=account).delete()
    _request_score(member.pk)
    log.info("member %s disconnected source %s", member.pk, source_id)
    return True


# --- Scheduling -----------------------------------------------------------------------


@transaction.atomic
def source_sync_request(*, user_id: int, source_id: int) -> bool:
    """Queue a sync now ("Sync now"); False when one is already queued or running."""
    now = timezone.now()
    busy = Q(sync_status__in=[SyncStatus.QUEUED, SyncStatus.RUNNING], next_sync_at__gt=now)
    claimed = (
        Source.objects.filter(
            pk=source_id, user_id=user_id, verified=True, social_account__isnull=False
        )
        .exclude(busy)
        .update(sync_status=SyncStatus.QUEUED, next_sync_at=now + SYNC_LEASE)
    )
    if claimed != 1:
        return False
    enqueue.source_sync_run(source_id=source_id)
    return True


def sources_dispatch_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Claim connected sources that are due (or whose claim ran out) and enqueue a sync each.

    Each claim is a conditional update on the `next_sync_at` it read, so any number of
    dispatchers can run. Sources in error wait for the member. Returns the count.
    """

    now = now or timezone.now()
    due = list(
        Source.objects.filter(
            verified=True,
            social_account__isnull=False,
            next_sync_at__lte=now,
            user__in=users_with_active_consent(Purpose.SCORING),
        )
        .exclude(sync_status=SyncStatus.ERROR)
        .order_by("next_sync_at")
        .values_list("pk", "next_sync_at")[:limit]
    )
    claimed = 0
    for source_id, seen in due:
        with transaction.atomic():
            won = Source.objects.filter(pk=source_id, next_sync_at=seen).update(
                sync_status=SyncStatus.QUEUED, next_sync_at=now + SYNC_LEASE
            )
            if won == 1:
                enqueue.source_sync_run(source_id=source_id)
                claimed += 1
    return claimed


def _request_score(user_id: int) -> None:
    hooks.member_data_changed.send(user_id=user_id)


# --- Syncing --------------------------------------------------------------------------


def source_sync_run(*, source_id: int) -> str:
    """Run one claimed sync: fetch, validate and hash, store. Returns "done", "error" or "skipped".

    Idempotent: a source that is not queued or retrying (or running past its claim) is
    skipped, so a redelivered message does nothing. A revoked token, an unreadable reply
    or a refused instance puts the source in error with plain words for the member.
    RateLimited and ProviderUnavailable propagate with the source still claimed: the
    task decides when to retry (`source_sync_retry_at`).
    """
    now = timezone.now()
    claimable = Q(sync_status__in=[SyncStatus.QUEUED, SyncStatus.RETRYING]) | Q(
        sync_status=SyncStatus.RUNNING, next_sync_at__lte=now
    )
    won = (
        Source.objects.filter(claimable, pk=source_id, verified=True, social_account__isnull=False)
        .exclude(sync_status=SyncStatus.ERROR)
        .update(sync_status=SyncStatus.RUNNING, next_sync_at=now + SYNC_LEASE)
    )
    if won != 1:
        return "skipped"
    source = Source.objects.select_related("social_account").get(pk=source_id)
    account = source.social_account
    assert account is not None
    label = source.get_kind_display()
    token = SocialToken.objects.filter(account=account).order_by("-id").first()
    if token is None:
        source_sync_fail(
            source_id=source_id,
            message=f"{label} access is missing — reconnect your account.",
        )
        return "error"

    state = source.sync_cursor if isinstance(source.sync_cursor, dict) else {}
    full = _full_sync_due(state, now)
    cursor = None if full else state.get("connector")
    try:
        result = _fetch(source, account, token.token, cursor)
    except (RateLimited, ProviderUnavailable):
        raise
    except ConnectorError as exc:
        # Connector messages name endpoints and status codes only, never a handle.
        log.warning("source %s: sync stopped: %s", source_id, exc)
        source_sync_fail(source_id=source_id, message=exc.user_message)
        return "error"
    except _SyncStopped as exc:
        log.warning("source %s: sync refused before any request", source_id)
        source_sync_fail(source_id=source_id, message=str(exc))
        return "error"

    try:
        archive = read_archive(io.BytesIO(_serialise(result.records)), secret=_secret())
    except ArchiveInvalid as exc:
        # The reasons may quote values; only their number is logged.
        log.warning("source %s: provider data refused (%d problems)", source_id, len(exc.errors))
        source_sync_fail(
            source_id=source_id,
            message=f"{label} sent data we couldn't read, so this sync stopped. "
            "We'll look into it.",
        )
        return "error"

    next_state = {
        "connector": result.cursor,
        "full_at": iso(now) if cursor is None else state.get("full_at"),
    }
    stored = source_sync_apply(
        source_id=source_id,
        archive=archive,
        cursor=next_state,
        replace=cursor is None,
        complete=result.complete,
    )
    return "done" if stored else "skipped"


def _secret() -> bytes:
    key: bytes = settings.HANDLE_HASH_KEY
    return key


def _full_sync_due(state: dict[str, Any], now: datetime) -> bool:
    """The first sync, and one every SOURCE_FULL_SYNC_DAYS: incremental syncs miss late
    engagement on old posts and deletions, which a full sync replaces."""
    if not state.get("connector") or not isinstance(state.get("full_at"), str):
        return True
    try:
        last_full = parse_time(state["full_at"], "cursor.full_at")
    except ConnectorError:
        return True
    return now - last_full >= timedelta(days=settings.SOURCE_FULL_SYNC_DAYS)


def _fetch(
    source: Source, account: SocialAccount, token: str, cursor: dict[str, Any] | None
) -> SyncResult:
    if source.kind == SourceKind.GITHUB:
        return github_sync(token=token, cursor=cursor, api_url=settings.GITHUB_API_URL)
    if source.kind == SourceKind.MASTODON:
        instance = (account.extra_data or {}).get("instance")
        if not isinstance(instance, str) or not instance:
            raise _SyncStopped("We don't know your Mastodon server — reconnect your account.")
        try:
            host = normalise_instance(instance)
        except ValueError as exc:
            raise _SyncStopped(str(exc)) from None  # plain words, e.g. a private server
        return mastodon_sync(instance=host, token=token, cursor=cursor)
    raise _SyncStopped("This source can't be synced; it was imported from an archive.")


def _serialise(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def source_sync_fail(*, source_id: int, message: str) -> None:
    """Stop syncing until the member acts (reconnects, or presses "Sync now")."""
    Source.objects.filter(pk=source_id).update(
        sync_status=SyncStatus.ERROR, sync_error=message[:300], next_sync_at=None
    )


def source_sync_retry_at(*, source_id: int, message: str, at: datetime) -> None:
    """Mark a sync as waiting to retry at `at`; the dispatcher claims it then at the latest."""
    Source.objects.filter(pk=source_id, sync_status=SyncStatus.RUNNING).update(
        sync_status=SyncStatus.RETRYING, sync_error=message[:300], next_sync_at=at
    )


@transaction.atomic
def source_sync_apply(
    *,
    source_id: int,
    archive: Archive,
    cursor: dict[str, Any],
    replace: bool,
    complete: bool = True,
) -> bool:
    """Store one sync under the consent lock and request a score; False if nothing may be stored.

    `replace` (first or full sync) swaps all the source's rows for the archive's.
    Otherwise the sync holds only what is new: posts are upserted by id with their
    counts added, engagement counts are added per counterpart, and follows, always a
    full snapshot, are replaced. Distinct engagers per post are added too, so a person
    engaging again with an old post in a later sync is counted twice until the next full
    sync recounts. Nothing is stored if consent was withdrawn or the source disconnected
    meanwhile.
    """
    user_id = Source.objects.filter(pk=source_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return False
    member = User.objects.select_for_update().get(pk=user_id)
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        return False
    source = (
        Source.objects.select_for_update()
        .filter(pk=source_id, social_account__isnull=False)
        .first()
    )
    if source is None:
        return False
    now = timezone.now()
    account = archive.account
    handle_hash = make_hasher(_secret(), source.network)(account.handle)
    if handle_hash != source.handle_hash and not _take_new_handle(source, handle_hash, member):
        return False

    if replace:
        source_signals_replace(source, archive)
    else:
        _upsert_posts(source, list(archive.posts.values()))
        _add_edges(source, list(archive.edges.values()))
        follows_replace(source, archive)

    Source.objects.filter(pk=source.pk).update(
        handle=normalise_handle(account.handle),
        handle_hash=handle_hash,
        followers_count=account.followers,
        following_count=account.following,
        account_created_at=account.created_at,
        last_synced_at=now,
        sync_cursor=cursor,
        sync_status=SyncStatus.IDLE,
        sync_error="",
        next_sync_at=now
        + (timedelta(hours=settings.SOURCE_SYNC_HOURS) if complete else CONTINUE_AFTER),
    )
    _request_score(member.pk)
    log.info(
        "source %s: stored a %s sync (%d interactions, %d posts)",
        source.pk,
        "full" if replace else "incremental",
        archive.interactions,
        len(archive.posts),
    )
    return True


def _take_new_handle(source: Source, handle_hash: int, member: User) -> bool:
    """The account was renamed on the provider: follow it, unless the new name is claimed."""
    other = (
        Source.objects.select_for_update()
        .filter(Q(verified=True) | Q(user=member), handle_hash=handle_hash)
        .exclude(pk=source.pk)
        .order_by("-verified")
    ).first()
    if other is not None and (other.user_id != member.pk or other.verified):
        source_sync_fail(
            source_id=source.pk,
            message=f"This {source.get_kind_display()} account was renamed to a name "
            "another source already claims; contact support.",
        )
        return False
    if other is not None:
        source_delete(other)  # the member's own archive under the new name
    return True


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert_posts(source: Source, posts: list[PostAgg]) -> None:
    existing: dict[str, Post] = {}
    for chunk in _chunks([p.post_id for p in posts]):
        existing.update(
            (row.post_id, row) for row in Post.objects.filter(source=source, post_id__in=chunk)
        )
    changed: list[Post] = []
    new: list[PostAgg] = []
    for agg in posts:
        row = existing.get(agg.post_id)
        if row is None:
            new.append(agg)
            continue
        row.at, row.tags, row.terms = agg.at, agg.tags, agg.terms or row.terms
        row.engagers += len(agg.engagers)
        row.likes += agg.counts["like"]
        row.reshares += agg.counts["reshare"]
        row.replies += agg.counts["reply"]
        row.mentions += agg.counts["mention"]
        changed.append(row)
    fields = ["at", "tags", "terms", "engagers", "likes", "reshares", "replies", "mentions"]
    Post.objects.bulk_update(changed, fields, batch_size=CHUNK)
    posts_insert(source, new)


def _add_edges(source: Source, edges: list[EdgeAgg]) -> None:
    existing: dict[tuple[int, str, str], Engagement] = {}
    counterparts = sorted({e.counterpart for e in edges})
    for chunk in _chunks(counterparts):
        for stored in Engagement.objects.filter(source=source, counterpart__in=chunk):
            existing[(stored.counterpart, stored.kind, stored.direction)] = stored
    changed: list[Engagement] = []
    new: list[EdgeAgg] = []
    for edge in edges:
        row = existing.get((edge.counterpart, edge.kind, edge.direction))
        if row is None:
            new.append(edge)
            continue
        row.count += edge.count
        row.first_at = min(row.first_at, edge.first_at)
        row.last_at = max(row.last_at, edge.last_at)
        changed.append(row)
    Engagement.objects.bulk_update(changed, ["count", "first_at", "last_at"], batch_size=CHUNK)
    engagements_insert(source, new)


def signals_data_delete(*, user_id: int) -> None:
    """Delete every source, signal row and pending import of a member, inside the
    withdrawal of `scoring` (connected to ``profiles.hooks.scoring_withdrawn``)."""
    # Connections were made for scoring: their tokens go too (the allauth account stays
    # if the member signs in with it).
    connected = Source.objects.filter(user_id=user_id, social_account__isnull=False)
    SocialToken.objects.filter(account_id__in=connected.values("social_account_id")).delete()
    for source in Source.objects.filter(user_id=user_id):
        source_delete(source)
    pending = ImportJob.objects.filter(user_id=user_id).exclude(
        status__in=[ImportStatus.DONE, ImportStatus.FAILED]
    )
    names = [job.file.name for job in pending if job.file.name]
    pending.delete()
    if names:
        # Files go only once the deletion is committed; a rollback keeps them.
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)
