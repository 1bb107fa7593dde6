"""Mastodon connector: OAuth client registration on any instance, then the member's signals.

Mapping to archive v1: each own status that is not a boost (and not a direct
message) is a post ("status:<id>", tags from its hashtags, text from its HTML with
mentions removed); `favourited_by` gives likes and `reblogged_by` reshares on it; a
mention notification is a mention, or a reply when it answers one of the member's
statuses; followers and followed accounts become follower and following lines.
The member's own boosts and replies to others become given interactions (`to`).
Handles are made whole: a local "alice" becomes "alice@<instance>".

Incremental: the cursor keeps the newest own status id (`since_id`) and the newest
mention notification id (`notifications_since_id`). Likes and boosts are looked up
for new statuses only, so late engagement on old posts needs a full sync (cursor
None) now and then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from signals.connectors import errors, http, parsing
from signals.connectors.errors import (
    ConnectorError,
    ProviderResponseInvalid,
    ProviderUnavailable,
    RateLimited,
    RegistrationRefused,
    ResourceGone,
)
from signals.connectors.http import HttpClient, normalise_instance
from signals.connectors.parsing import (
    SyncResult,
    html_to_text,
    iso,
    need_dict,
    need_int,
    need_str,
    parse_time,
    tag_list,
)

STATUS_PAGE = 40  # documented maximum for account statuses
ACCOUNT_PAGE = 80  # documented maximum for followers, following, favourited_by, ...
NOTIFICATION_PAGE = 80
# Mastodon allows 300 requests per 5 minutes. The lists every sync needs come first
# (at most 4 x max_pages + 1 requests); per-status lookups then use what is left
# down to this reserve, and at most this many statuses are looked up per sync.
RATE_RESERVE = 10
MAX_ENGAGEMENT_LOOKUPS = 200


def mastodon_register_app(
    *,
    instance: str,
    redirect_uri: str,
    client_name: str,
    website: str,
    scopes: str = "read",
    session: requests.Session | None = None,
    timeout: float = 10.0,
    allow_private: bool = False,
) -> dict[str, str]:
    """Register our OAuth client on `instance` (POST /api/v1/apps) and return its credentials.

    Returns {"client_id": ..., "client_secret": ...}; store them per instance and
    reuse them. Raises ValueError for a domain we will not contact, RateLimited or
    ProviderUnavailable when worth retrying, and RegistrationRefused otherwise
    (4xx, a redirect, an HTML page, or a reply without credentials).
    """
    host = normalise_instance(instance, allow_private=allow_private)
    client = _client(host, session=session, timeout=timeout, allow_private=allow_private)
    what = "POST /api/v1/apps"
    refused = (
        f"{host} didn't accept Influence as an app. It may not be a Mastodon server, "
        "or it may not allow new apps."
    )
    try:
        data, _ = client.send(
            "POST",
            "/api/v1/apps",
            data={
                "client_name": client_name,
                "redirect_uris": redirect_uri,
                "scopes": scopes,
                "website": website,
            },
            what=what,
        )
    except (RateLimited, ProviderUnavailable):
        raise
    except errors.UnsafeHost as exc:
        raise RegistrationRefused(f"{what}: {exc}", user_message=exc.user_message) from None
    except ConnectorError as exc:
        raise RegistrationRefused(f"{what}: {exc}", user_message=refused) from None
    if not isinstance(data, dict):
        raise RegistrationRefused(f"{what}: reply is not an object", user_message=refused)
    credentials = {key: data.get(key) for key in ("client_id", "client_secret")}
    if not all(isinstance(value, str) and value for value in credentials.values()):
        raise RegistrationRefused(f"{what}: reply has no credentials", user_message=refused)
    return {key: str(value) for key, value in credentials.items()}


@dataclass(frozen=True)
class _Lookup:
    status_id: str
    post_id: str
    at: datetime
    favourites: int
    reblogs: int


def mastodon_sync(
    *,
    instance: str,
    token: str,
    cursor: dict[str, Any] | None,
    session: requests.Session | None = None,
    timeout: float = 10.0,
    max_pages: int = 50,
    allow_private: bool = False,
) -> SyncResult:
    """Fetch the member's Mastodon signals as archive-v1 records, from `cursor` on.

    Raises ValueError for an instance we will not contact, then TokenRevoked,
    RateLimited, ProviderUnavailable or ProviderResponseInvalid; a failed sync
    returns nothing and the old cursor stays valid.
    """
    host = normalise_instance(instance, allow_private=allow_private)
    client = _client(host, session=session, timeout=timeout, allow_private=allow_private)
    client.headers["Authorization"] = f"Bearer {token}"
    started = parsing.now()
    since_status = _cursor_id(cursor, "since_id")
    since_notification = _cursor_id(cursor, "notifications_since_id")

    what = "GET /api/v1/accounts/verify_credentials"
    me = need_dict(client.get("/api/v1/accounts/verify_credentials", what=what)[0], "account")
    me_id = need_str(me, "id", "account")
    handle = _qualify(need_str(me, "acct", "account"), host)
    account = {
        "type": "account",
        "network": "mastodon",
        "handle": handle,
        "followers": need_int(me, "followers_count", "account"),
        "following": need_int(me, "following_count", "account"),
        "created_at": iso(parse_time(me.get("created_at"), "account.created_at")),
    }
    me_key = handle.lower()
    account_path = f"/api/v1/accounts/{quote(me_id, safe='')}"

    # The lists every sync needs come before the optional per-status lookups, so the
    # rate budget they share is spent on the essentials first.
    statuses, newest_status = _newer(
        client,
        f"{account_path}/statuses",
        {"limit": STATUS_PAGE},
        since_status,
        max_pages,
        "GET /api/v1/accounts/:id/statuses",
    )
    posts: list[dict[str, Any]] = []
    given: list[dict[str, Any]] = []
    lookups: list[_Lookup] = []
    for status in statuses:
        _read_status(status, me_id, host, me_key, posts, given, lookups)
    declared = {post["id"] for post in posts}

    notifications, newest_notification = _newer(
        client,
        "/api/v1/notifications",
        {"types[]": "mention", "limit": NOTIFICATION_PAGE},
        since_notification,
        max_pages,
        "GET /api/v1/notifications",
    )
    received = _mentions(notifications, me_id, host, me_key, declared)

    people = _people(client, account_path, host, me_key, started, max_pages)
    engagement, complete = _engagement(client, lookups, host, me_key, max_pages)

    return SyncResult(
        records=[account, *posts, *given, *received, *engagement, *people],
        cursor={
            "since_id": newest_status or since_status,
            "notifications_since_id": newest_notification or since_notification,
        },
        complete=complete and not client.truncated,
    )


def _client(
    host: str, *, session: requests.Session | None, timeout: float, allow_private: bool
) -> HttpClient:
    if session is None:
        session = requests.Session() if allow_private else http.public_session()
    return HttpClient(
        provider=f"Mastodon ({host})",
        base_url=f"https://{host}",
        session=session,
        timeout=timeout,
        headers={"Accept": "application/json"},
    )


def _cursor_id(cursor: Mapping[str, Any] | None, key: str) -> str | None:
    value = cursor.get(key) if isinstance(cursor, Mapping) else None
    return value if isinstance(value, str) and value else None


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are decimal strings of growing length; fixed-width ids from other
    # servers (Pleroma flakes) still order correctly by this key.
    return (len(value), value)


def _newer(
    client: HttpClient,
    path: str,
    params: dict[str, Any],
    since: str | None,
    max_pages: int,
    what: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """Items newer than `since`, newest first, and the newest id seen.

    `since_id` is sent, but the Link "next" URL does not carry it on every server
    version, so paging also stops at the first item at or below it.
    """
    if since is not None:
        params = {**params, "since_id": since}
    items: list[dict[str, Any]] = []
    newest: str | None = None
    for page in client.paginate(path, params=params, max_pages=max_pages, what=what):
        for raw in page:
            item = need_dict(raw, what)
            item_id = need_str(item, "id", what)
            if since is not None and _id_key(item_id) <= _id_key(since):
                return items, newest
            if newest is None or _id_key(item_id) > _id_key(newest):
                newest = item_id
            items.append(item)
    return items, newest


def _read_status(
    status: dict[str, Any],
    me_id: str,
    host: str,
    me_key: str,
    posts: list[dict[str, Any]],
    given: list[dict[str, Any]],
    lookups: list[_Lookup],
) -> None:
    status_id = need_str(status, "id", "status")
    created = parse_time(status.get("created_at"), "status.created_at")
    reblog = status.get("reblog")
    if reblog is not None:
        author = _acct(need_dict(reblog, "status.reblog").get("account"), host)
        if author is not None and author.lower() != me_key:
            given.append(
                {"type": "interaction", "kind": "reshare", "to": author, "at": iso(created)}
            )
        return
    if status.get("visibility") == "direct":
        return  # a private message is not a post, and its words are not for topics
    post_id = f"status:{status_id}"
    tags = status.get("tags") or []
    if not isinstance(tags, list):
        raise ProviderResponseInvalid("status.tags is not a list")
    post: dict[str, Any] = {
        "type": "post",
        "id": post_id,
        "at": iso(created),
        "tags": tag_list([need_str(need_dict(tag, "tag"), "name", "tag") for tag in tags]),
    }
    content = status.get("content")
    text = html_to_text(content) if isinstance(content, str) else ""
    if text:
        post["text"] = text
    posts.append(post)

    parent_author = status.get("in_reply_to_account_id")
    if isinstance(parent_author, str) and parent_author != me_id:
        for mention in status.get("mentions") or []:
            if isinstance(mention, dict) and mention.get("id") == parent_author:
                to = _acct(mention, host)
                if to is not None and to.lower() != me_key:
                    given.append(
                        {"type": "interaction", "kind": "reply", "to": to, "at": iso(created)}
                    )
                break
    lookups.append(
        _Lookup(
            status_id=status_id,
            post_id=post_id,
            at=created,
            favourites=_count(status, "favourites_count"),
            reblogs=_count(status, "reblogs_count"),
        )
    )


def _mentions(
    notifications: list[dict[str, Any]],
    me_id: str,
    host: str,
    me_key: str,
    declared: set[str],
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for notification in notifications:
        if notification.get("type") != "mention":
            continue  # servers before 3.5 ignore types[]
        by = _acct(notification.get("account"), host)
        if by is None or by.lower() == me_key:
            continue
        at = parse_time(notification.get("created_at"), "notification.created_at")
        status = notification.get("status")
        if isinstance(status, dict) and status.get("in_reply_to_account_id") == me_id:
            at = parse_time(status.get("created_at"), "status.created_at")
            record: dict[str, Any] = {"type": "interaction", "kind": "reply", "by": by}
            post_id = f"status:{status.get('in_reply_to_id')}"
            # Only posts declared in this batch can be referenced; a reply to an older
            # post still counts, without the link.
            if post_id in declared:
                record["post"] = post_id
            record["at"] = iso(at)
            records.append(record)
        else:
            records.append({"type": "interaction", "kind": "mention", "by": by, "at": iso(at)})
    return records


def _people(
    client: HttpClient,
    account_path: str,
    host: str,
    me_key: str,
    started: datetime,
    max_pages: int,
) -> list[dict[str, Any]]:
    # Mastodon does not expose when a follow happened; the sync time stands in.
    at = iso(started)
    lines: list[dict[str, Any]] = []
    for endpoint, kind, key in (("followers", "follower", "by"), ("following", "following", "of")):
        seen: set[str] = set()
        for page in client.paginate(
            f"{account_path}/{endpoint}",
            params={"limit": ACCOUNT_PAGE},
            max_pages=max_pages,
            what=f"GET /api/v1/accounts/:id/{endpoint}",
        ):
            for item in page:
                other = _acct(item, host)
                if other is None or other.lower() == me_key or other in seen:
                    continue
                seen.add(other)
                lines.append({"type": kind, key: other, "at": at})
    return lines


def _engagement(
    client: HttpClient, lookups: list[_Lookup], host: str, me_key: str, max_pages: int
) -> tuple[list[dict[str, Any]], bool]:
    """Likes and boosts of new statuses, newest status first, within the rate budget.

    The provider does not date a favourite or a boost; the post's time stands in.
    """
    records: list[dict[str, Any]] = []
    complete = len(lookups) <= MAX_ENGAGEMENT_LOOKUPS
    for lookup in lookups[:MAX_ENGAGEMENT_LOOKUPS]:
        for kind, count, endpoint in (
            ("like", lookup.favourites, "favourited_by"),
            ("reshare", lookup.reblogs, "reblogged_by"),
        ):
            if not count:
                continue
            remaining = client.ratelimit_remaining
            if remaining is not None and remaining < RATE_RESERVE:
                return records, False
            seen: set[str] = set()
            try:
                for page in client.paginate(
                    f"/api/v1/statuses/{quote(lookup.status_id, safe='')}/{endpoint}",
                    params={"limit": ACCOUNT_PAGE},
                    max_pages=max_pages,
                    what=f"GET /api/v1/statuses/:id/{endpoint}",
                ):
                    for item in page:
                        by = _acct(item, host)
                        if by is None or by.lower() == me_key or by in seen:
                            continue
                        seen.add(by)
                        records.append(
                            {
                                "type": "interaction",
                                "kind": kind,
                                "by": by,
                                "post": lookup.post_id,
                                "at": iso(lookup.at),
                            }
                        )
            except ResourceGone:
                break  # deleted since it was listed; drop its lookups
    return records, complete


def _acct(value: object, host: str) -> str | None:
    if value is None:
        return None
    account = need_dict(value, "account")
    return _qualify(need_str(account, "acct", "account"), host)


def _qualify(acct: str, host: str) -> str:
    acct = acct.lstrip("@")
    if "@" in acct:
        return acct
    return f"{acct}@{host}"


def _count(status: Mapping[str, Any], key: str) -> int:
    value = status.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
