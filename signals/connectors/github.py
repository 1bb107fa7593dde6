"""GitHub connector: the member's account, repositories and who engaged with them.

Mapping to archive v1: each public, non-fork repository the member owns is a post
("repo:<full_name>", tags from its topics, text from its description); a star is a
like, a fork a reshare, an issue or pull-request comment by someone else a reply;
followers and followed accounts become follower and following lines.

Incremental: the cursor keeps, per repository, when it was last read and its star
and fork counts. Stars and forks are read newest first and only until the last
read; an unchanged count skips the request; comments are asked for with `since`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from signals.connectors import http, parsing
from signals.connectors.errors import ProviderResponseInvalid, ResourceGone
from signals.connectors.http import HttpClient
from signals.connectors.parsing import (
    SyncResult,
    iso,
    need_dict,
    need_int,
    need_list,
    need_str,
    parse_time,
    tag_list,
)

API_VERSION = "2022-11-28"
PER_PAGE = 100
STAR_MEDIA_TYPE = "application/vnd.github.star+json"
# Per-repository lookups stop while this many requests are left in the hour, so a
# member's other GitHub apps keep working and the next sync can carry on.
RATE_RESERVE = 100


@dataclass(frozen=True)
class _Repo:
    full_name: str
    created_at: datetime
    topics: list[str]
    description: str | None
    stars: int
    forks: int

    @property
    def post_id(self) -> str:
        return f"repo:{self.full_name}"


@dataclass(frozen=True)
class _RepoCursor:
    since: datetime
    stars: int
    forks: int


def github_sync(
    *,
    token: str,
    cursor: dict[str, Any] | None,
    session: requests.Session | None = None,
    api_url: str = "https://api.github.com",
    timeout: float = 10.0,
    max_pages: int = 50,
) -> SyncResult:
    """Fetch the member's GitHub signals as archive-v1 records, from `cursor` on.

    Raises TokenRevoked, RateLimited, ProviderUnavailable or ProviderResponseInvalid;
    nothing is returned from a failed sync, and the old cursor stays valid.
    """
    client = HttpClient(
        provider="GitHub",
        base_url=api_url,
        session=session or requests.Session(),
        timeout=timeout,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        },
    )
    started = parsing.now()
    previous = _read_cursor(cursor)

    user = need_dict(client.get("/user", what="GET /user")[0], "user")
    login = need_str(user, "login", "user")
    account = {
        "type": "account",
        "network": "github",
        "handle": login,
        "followers": need_int(user, "followers", "user"),
        "following": need_int(user, "following", "user"),
        "created_at": iso(parse_time(user.get("created_at"), "user.created_at")),
    }
    repos = _own_repos(client, max_pages)
    posts: list[dict[str, Any]] = []
    for repo in repos:
        post: dict[str, Any] = {
            "type": "post",
            "id": repo.post_id,
            "at": iso(repo.created_at),
            "tags": repo.topics,
        }
        if repo.description:
            post["text"] = repo.description[: parsing.MAX_TEXT_CHARS]
        posts.append(post)
    people = _people(client, login, started, max_pages)

    interactions: list[dict[str, Any]] = []
    next_repos: dict[str, dict[str, Any]] = {}
    complete = True
    for repo in repos:
        known = previous.get(repo.full_name)
        remaining = client.ratelimit_remaining
        if remaining is not None and remaining < RATE_RESERVE:
            complete = False
            if known is not None:
                next_repos[repo.full_name] = _write_repo_cursor(known.since, known)
            continue
        try:
            interactions.extend(_repo_interactions(client, repo, login, known, max_pages))
        except ResourceGone:
            continue  # deleted or renamed since the listing; the next sync sees the new name
        next_repos[repo.full_name] = _write_repo_cursor(started, repo)

    return SyncResult(
        records=[account, *posts, *interactions, *people],
        cursor={"since": iso(started), "repos": next_repos},
        complete=complete and not client.truncated,
    )


def _own_repos(client: HttpClient, max_pages: int) -> list[_Repo]:
    what = "GET /user/repos"
    repos: list[_Repo] = []
    params = {"type": "owner", "sort": "created", "direction": "desc", "per_page": PER_PAGE}
    for page in client.paginate("/user/repos", params=params, max_pages=max_pages, what=what):
        for item in page:
            repo = need_dict(item, "repository")
            # Private repositories stay out: their names and topics are not the
            # member's to publish through a score, and their engagers are colleagues.
            if repo.get("fork") is not False or repo.get("private") is not False:
                continue
            topics = repo.get("topics") or []
            if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
                raise ProviderResponseInvalid("repository.topics is not a list of strings")
            description = repo.get("description")
            repos.append(
                _Repo(
                    full_name=need_str(repo, "full_name", "repository"),
                    created_at=parse_time(repo.get("created_at"), "repository.created_at"),
                    topics=tag_list(topics),
                    description=description if isinstance(description, str) else None,
                    stars=need_int(repo, "stargazers_count", "repository"),
                    forks=need_int(repo, "forks_count", "repository"),
                )
            )
    return repos


def _people(
    client: HttpClient, login: str, started: datetime, max_pages: int
) -> list[dict[str, Any]]:
    # GitHub does not say when a follow happened; the sync time stands in.
    at = iso(started)
    lines: list[dict[str, Any]] = []
    for path, kind, key in (
        ("/user/followers", "follower", "by"),
        ("/user/following", "following", "of"),
    ):
        seen: set[str] = set()
        params = {"per_page": PER_PAGE}
        for page in client.paginate(path, params=params, max_pages=max_pages, what=f"GET {path}"):
            for item in page:
                other = _login(item, "user")
                if other is None or other.lower() == login.lower() or other in seen:
                    continue
                seen.add(other)
                lines.append({"type": kind, key: other, "at": at})
    return lines


def _repo_interactions(
    client: HttpClient, repo: _Repo, login: str, known: _RepoCursor | None, max_pages: int
) -> list[dict[str, Any]]:
    since = known.since if known else None
    records: list[dict[str, Any]] = []

    if repo.stars and (known is None or known.stars != repo.stars):
        likers: set[str] = set()
        for item in _stargazers_newest_first(client, repo.full_name, max_pages):
            star = need_dict(item, "stargazer")
            starred_at = parse_time(star.get("starred_at"), "stargazer.starred_at")
            if since is not None and starred_at <= since:
                break
            other = _login(star.get("user"), "stargazer.user")
            if other is None or other.lower() == login.lower() or other in likers:
                continue
            likers.add(other)
            records.append(_received("like", other, repo.post_id, starred_at))

    if repo.forks and (known is None or known.forks != repo.forks):
        records.extend(_forks(client, repo, login, since, max_pages))

    records.extend(_comments(client, repo, login, since, max_pages))
    return records


def _stargazers_newest_first(
    client: HttpClient, full_name: str, max_pages: int
) -> Iterator[dict[str, Any]]:
    """Stargazers from the newest star back: GitHub lists them oldest first, so this
    starts at Link rel="last" and walks rel="prev". With more pages than `max_pages`
    the oldest stars are the ones left out."""
    what = "GET /repos/{owner}/{repo}/stargazers"
    headers = {"Accept": STAR_MEDIA_TYPE}
    data, response = client.get(
        f"/repos/{full_name}/stargazers",
        params={"per_page": PER_PAGE},
        headers=headers,
        what=what,
    )
    first_page = need_list(data, what)
    pages = 1
    url = http.link(response, "last")
    while url is not None:
        if pages >= max_pages:
            client.truncated = True
            return
        data, response = client.get(url, headers=headers, what=what)
        pages += 1
        yield from reversed(need_list(data, what))
        previous = http.link(response, "prev")
        url = None if previous is None or previous == http.link(response, "first") else previous
    yield from reversed(first_page)


def _forks(
    client: HttpClient, repo: _Repo, login: str, since: datetime | None, max_pages: int
) -> list[dict[str, Any]]:
    what = "GET /repos/{owner}/{repo}/forks"
    records: list[dict[str, Any]] = []
    params = {"sort": "newest", "per_page": PER_PAGE}
    for page in client.paginate(
        f"/repos/{repo.full_name}/forks", params=params, max_pages=max_pages, what=what
    ):
        for item in page:
            fork = need_dict(item, "fork")
            created = parse_time(fork.get("created_at"), "fork.created_at")
            if since is not None and created <= since:
                return records
            other = _login(fork.get("owner"), "fork.owner")
            if other is None or other.lower() == login.lower():
                continue
            records.append(_received("reshare", other, repo.post_id, created))
    return records


def _comments(
    client: HttpClient, repo: _Repo, login: str, since: datetime | None, max_pages: int
) -> list[dict[str, Any]]:
    """Issue and pull-request conversation comments by others, newest first."""
    what = "GET /repos/{owner}/{repo}/issues/comments"
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": "created", "direction": "desc", "per_page": PER_PAGE}
    if since is not None:
        params["since"] = iso(since)
    seen: set[int] = set()
    for page in client.paginate(
        f"/repos/{repo.full_name}/issues/comments", params=params, max_pages=max_pages, what=what
    ):
        for item in page:
            comment = need_dict(item, "comment")
            created = parse_time(comment.get("created_at"), "comment.created_at")
            # `since` filters on updated_at, so old comments edited lately come back
            # too; the list is newest first, so the first old one ends the new ones.
            if since is not None and created <= since:
                return records
            comment_id = comment.get("id")
            other = _login(comment.get("user"), "comment.user")
            if other is None or other.lower() == login.lower() or comment_id in seen:
                continue
            if isinstance(comment_id, int):
                seen.add(comment_id)
            records.append(_received("reply", other, repo.post_id, created))
    return records


def _login(value: object, what: str) -> str | None:
    """A counterpart's login, or None for deleted users ("ghost", null) and bots."""
    if value is None:
        return None
    user = need_dict(value, what)
    if user.get("type") == "Bot":
        return None
    return need_str(user, "login", what)


def _received(kind: str, by: str, post: str, at: datetime) -> dict[str, Any]:
    return {"type": "interaction", "kind": kind, "by": by, "post": post, "at": iso(at)}


def _read_cursor(cursor: dict[str, Any] | None) -> dict[str, _RepoCursor]:
    """Per-repository state from a previous sync; anything unreadable means "from scratch"."""
    if not isinstance(cursor, dict) or not isinstance(cursor.get("repos"), dict):
        return {}
    known: dict[str, _RepoCursor] = {}
    for name, entry in cursor["repos"].items():
        try:
            known[name] = _RepoCursor(
                since=parse_time(entry["since"], "cursor.since"),
                stars=int(entry["stars"]),
                forks=int(entry["forks"]),
            )
        except (KeyError, TypeError, ValueError, ProviderResponseInvalid):
            continue
    return known


def _write_repo_cursor(since: datetime, counts: _Repo | _RepoCursor) -> dict[str, Any]:
    return {"since": iso(since), "stars": counts.stars, "forks": counts.forks}
