"""GitHub connector against recorded responses shaped after the REST API docs."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from signals.connectors.errors import (
    ProviderResponseInvalid,
    ProviderUnavailable,
    RateLimited,
    TokenRevoked,
)
from tests.signals.connectors.archive import assert_archive_v1
from tests.signals.connectors.conftest import NOW, load
from tests.signals.connectors.github_api import (
    API,
    COMMENTS_QUERY,
    COUNTERPARTS,
    add_full_sync,
    add_lists,
    add_stargazers,
    add_user,
    link,
    sync,
)


def test_a_full_sync_maps_to_archive_records(mocked: responses.RequestsMock) -> None:
    add_full_sync(mocked)

    result = sync()

    assert_archive_v1(result.records)
    assert result.records == [
        {
            "type": "account",
            "network": "github",
            "handle": "alice",
            "followers": 3,
            "following": 2,
            "created_at": "2015-03-04T10:00:00Z",
        },
        {
            "type": "post",
            "id": "repo:alice/privacy-kit",
            "at": "2020-01-10T09:00:00Z",
            "tags": ["privacy", "python"],
            "text": "Consent receipts for Python apps.",
        },
        {"type": "post", "id": "repo:alice/dotfiles", "at": "2017-07-07T09:00:00Z", "tags": []},
        {
            "type": "interaction",
            "kind": "like",
            "by": "frank",
            "post": "repo:alice/privacy-kit",
            "at": "2026-10-20T10:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "like",
            "by": "erin",
            "post": "repo:alice/privacy-kit",
            "at": "2022-05-05T10:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "like",
            "by": "dana",
            "post": "repo:alice/privacy-kit",
            "at": "2021-02-01T10:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "reshare",
            "by": "ivan",
            "post": "repo:alice/privacy-kit",
            "at": "2023-01-01T12:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "reply",
            "by": "grace",
            "post": "repo:alice/privacy-kit",
            "at": "2024-01-02T08:00:00Z",
        },
        {"type": "follower", "by": "dana", "at": "2026-11-01T00:00:00Z"},
        {"type": "follower", "by": "erin", "at": "2026-11-01T00:00:00Z"},
        {"type": "follower", "by": "frank", "at": "2026-11-01T00:00:00Z"},
        {"type": "following", "of": "grace", "at": "2026-11-01T00:00:00Z"},
        {"type": "following", "of": "dana", "at": "2026-11-01T00:00:00Z"},
    ]
    assert result.complete is True
    assert result.cursor == {
        "since": "2026-11-01T00:00:00Z",
        "repos": {
            "alice/privacy-kit": {"since": "2026-11-01T00:00:00Z", "stars": 3, "forks": 1},
            "alice/dotfiles": {"since": "2026-11-01T00:00:00Z", "stars": 0, "forks": 0},
        },
    }


def test_it_follows_link_next_and_keeps_records_from_every_page(
    mocked: responses.RequestsMock,
) -> None:
    add_full_sync(mocked)

    records = sync().records

    post_ids = [r["id"] for r in records if r["type"] == "post"]
    # privacy-kit is on page 1, dotfiles on page 2; the fork and the private one are left out.
    assert post_ids == ["repo:alice/privacy-kit", "repo:alice/dotfiles"]
    likes = {r["by"] for r in records if r.get("kind") == "like"}
    assert likes == {"dana", "erin", "frank"}  # stargazers from both pages


def test_it_leaves_out_self_engagement_bots_and_deleted_users(
    mocked: responses.RequestsMock,
) -> None:
    add_full_sync(mocked)

    records = sync().records

    counterparts = {r.get("by") for r in records} | {r.get("of") for r in records}
    assert "alice" not in counterparts
    assert "dependabot[bot]" not in counterparts
    assert [r["by"] for r in records if r.get("kind") == "reply"] == ["grace"]


def test_incremental_sync_sends_since_from_the_cursor_and_skips_unchanged_counts(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    add_lists(mocked)
    add_stargazers(mocked)  # stars went from 2 to 3, so they are read again
    since = "2026-10-01T00:00:00Z"
    # No forks request is registered: the count did not change, so none may be sent.
    mocked.get(
        f"{API}/repos/alice/privacy-kit/issues/comments",
        json=load("github_issue_comments.json"),  # all created before `since`
        match=[matchers.query_param_matcher({**COMMENTS_QUERY, "since": since})],
    )
    mocked.get(
        f"{API}/repos/alice/dotfiles/issues/comments",
        json=[],
        match=[matchers.query_param_matcher({**COMMENTS_QUERY, "since": since})],
    )
    cursor = {
        "since": since,
        "repos": {
            "alice/privacy-kit": {"since": since, "stars": 2, "forks": 1},
            "alice/dotfiles": {"since": since, "stars": 0, "forks": 0},
        },
    }

    result = sync(cursor)

    assert_archive_v1(result.records)
    interactions = [r for r in result.records if r["type"] == "interaction"]
    assert interactions == [
        {
            "type": "interaction",
            "kind": "like",
            "by": "frank",
            "post": "repo:alice/privacy-kit",
            "at": "2026-10-20T10:00:00Z",
        }
    ]
    assert result.cursor["repos"]["alice/privacy-kit"]["since"] == "2026-11-01T00:00:00Z"


def test_incremental_sync_sends_no_star_or_fork_request_when_the_counts_are_unchanged(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    add_lists(mocked)
    since = "2026-10-25T00:00:00Z"
    for name in ("privacy-kit", "dotfiles"):
        mocked.get(f"{API}/repos/alice/{name}/issues/comments", json=[])
    unchanged = {
        "alice/privacy-kit": {"since": since, "stars": 3, "forks": 1},
        "alice/dotfiles": {"since": since, "stars": 0, "forks": 0},
    }

    result = sync({"since": since, "repos": unchanged})

    assert not any(r["type"] == "interaction" for r in result.records)
    assert not any("stargazers" in str(call.request.url) for call in mocked.calls)


def test_a_list_cut_at_max_pages_is_reported_as_incomplete(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    page2 = f"{API}/user/repos?page=2"
    mocked.get(f"{API}/user/repos", json=load("github_repos_page1.json"), headers=link(next=page2))
    mocked.get(f"{API}/user/followers", json=[])
    mocked.get(f"{API}/user/following", json=[])
    mocked.get(
        f"{API}/repos/alice/privacy-kit/stargazers", json=load("github_stargazers_page1.json")
    )
    mocked.get(f"{API}/repos/alice/privacy-kit/forks", json=load("github_forks.json"))
    mocked.get(f"{API}/repos/alice/privacy-kit/issues/comments", json=[])

    result = sync(max_pages=1)

    assert result.complete is False
    assert len([c for c in mocked.calls if "/user/repos" in str(c.request.url)]) == 1
    assert [r["id"] for r in result.records if r["type"] == "post"] == ["repo:alice/privacy-kit"]
    assert_archive_v1(result.records)


def test_stargazers_past_max_pages_leave_out_the_oldest(mocked: responses.RequestsMock) -> None:
    add_user(mocked)
    mocked.get(f"{API}/user/repos", json=load("github_repos_page1.json"))
    mocked.get(f"{API}/user/followers", json=[])
    mocked.get(f"{API}/user/following", json=[])
    page1 = f"{API}/repositories/501/stargazers?per_page=100&page=1"
    page2 = f"{API}/repositories/501/stargazers?per_page=100&page=2"
    page3 = f"{API}/repositories/501/stargazers?per_page=100&page=3"
    mocked.get(
        f"{API}/repos/alice/privacy-kit/stargazers",
        json=load("github_stargazers_page1.json"),
        headers=link(next=page2, last=page3),
    )
    mocked.get(
        page3,
        json=load("github_stargazers_page2.json"),
        headers=link(prev=page2, first=page1),
    )
    mocked.get(f"{API}/repos/alice/privacy-kit/forks", json=[])
    mocked.get(f"{API}/repos/alice/privacy-kit/issues/comments", json=[])

    result = sync(max_pages=2)

    likes = [r["by"] for r in result.records if r.get("kind") == "like"]
    assert likes == ["frank"]  # the newest page only; page 2 and page 1 are past the cap
    assert result.complete is False


def test_it_stops_per_repository_lookups_near_the_rate_limit(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    mocked.get(
        f"{API}/user/repos",
        json=load("github_repos_page1.json"),
        headers={"X-RateLimit-Remaining": "99"},
    )
    mocked.get(f"{API}/user/followers", json=[], headers={"X-RateLimit-Remaining": "98"})
    mocked.get(f"{API}/user/following", json=[], headers={"X-RateLimit-Remaining": "97"})
    old = {"since": "2026-10-01T00:00:00Z", "stars": 2, "forks": 1}

    result = sync({"repos": {"alice/privacy-kit": old}})

    assert result.complete is False
    assert result.cursor["repos"]["alice/privacy-kit"] == old  # carried over, not advanced
    assert [r["type"] for r in result.records] == ["account", "post"]


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (429, {"Retry-After": "120"}, {"message": "slow down"}, 120.0),
        # Retry-After as an HTTP date, two minutes after the frozen clock.
        (429, {"Retry-After": "Sun, 01 Nov 2026 00:02:00 GMT"}, {}, 120.0),
        # Primary limit: 403 with no requests left; wait until x-ratelimit-reset.
        (
            403,
            {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(NOW.timestamp()) + 900),
            },
            load("github_rate_limit_exceeded.json"),
            900.0,
        ),
        # Retry-After wins over x-ratelimit-reset.
        (
            403,
            {
                "retry-after": "30",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(NOW.timestamp()) + 900),
            },
            load("github_secondary_rate_limit.json"),
            30.0,
        ),
        # Secondary limit with no header at all: the documented one-minute wait.
        (403, {}, load("github_secondary_rate_limit.json"), 60.0),
        (429, {}, {}, 60.0),
    ],
)
def test_a_rate_limit_raises_rate_limited_and_sends_nothing_more(
    mocked: responses.RequestsMock,
    status: int,
    headers: dict[str, str],
    body: Any,
    expected: float,
) -> None:
    mocked.get(f"{API}/user", status=status, json=body, headers=headers)

    with pytest.raises(RateLimited) as caught:
        sync()

    assert caught.value.retry_after == expected
    assert caught.value.retryable is True
    assert len(mocked.calls) == 1


def test_a_rate_limit_mid_sync_stops_the_sync_at_once(mocked: responses.RequestsMock) -> None:
    add_user(mocked)
    add_lists(mocked)
    mocked.get(
        f"{API}/repos/alice/privacy-kit/stargazers",
        status=429,
        headers={"Retry-After": "45"},
        json={"message": "You have exceeded a secondary rate limit."},
    )

    with pytest.raises(RateLimited) as caught:
        sync()

    assert caught.value.retry_after == 45.0
    assert str(mocked.calls[-1].request.url).startswith(f"{API}/repos/alice/privacy-kit/stargazers")


def test_a_revoked_token_raises_token_revoked_in_plain_words(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{API}/user", status=401, json=load("github_bad_credentials.json"))

    with pytest.raises(TokenRevoked) as caught:
        sync()

    assert caught.value.user_message == "GitHub access was revoked — reconnect your account."
    assert caught.value.retryable is False


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_raises_provider_unavailable(
    mocked: responses.RequestsMock, status: int
) -> None:
    mocked.get(f"{API}/user", status=status, body="<html>Unicorn!</html>")

    with pytest.raises(ProviderUnavailable) as caught:
        sync()

    assert caught.value.retryable is True
    assert "GitHub" in caught.value.user_message


@pytest.mark.parametrize(
    "error", [requests.exceptions.ReadTimeout(), requests.exceptions.ConnectTimeout()]
)
def test_a_timeout_raises_provider_unavailable(
    mocked: responses.RequestsMock, error: Exception
) -> None:
    mocked.get(f"{API}/user", body=error)

    with pytest.raises(ProviderUnavailable, match="timed out"):
        sync(timeout=0.5)


def test_a_connection_error_raises_provider_unavailable(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/user", body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(ProviderUnavailable):
        sync()


def test_the_timeout_is_passed_to_every_request(mocked: responses.RequestsMock) -> None:
    add_full_sync(mocked)

    sync(timeout=3.5)

    assert {getattr(call.request, "req_kwargs", {}).get("timeout") for call in mocked.calls} == {
        3.5
    }


@pytest.mark.parametrize(
    "body", ['{"login": "alice", ', "<!DOCTYPE html><html>Not JSON</html>", ""]
)
def test_malformed_json_raises_provider_response_invalid(
    mocked: responses.RequestsMock, body: str
) -> None:
    mocked.get(f"{API}/user", body=body, content_type="application/json")

    with pytest.raises(ProviderResponseInvalid) as caught:
        sync()

    assert caught.value.retryable is False


def test_an_unexpected_shape_raises_provider_response_invalid(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    mocked.get(f"{API}/user/repos", json={"message": "not a list"})

    with pytest.raises(ProviderResponseInvalid, match="not a list"):
        sync()


def test_errors_never_name_a_counterpart(mocked: responses.RequestsMock) -> None:
    add_user(mocked)
    add_lists(mocked)
    broken = [{"starred_at": "yesterday", "user": {"login": "dana", "type": "User"}}]
    mocked.get(f"{API}/repos/alice/privacy-kit/stargazers", json=broken)

    with pytest.raises(ProviderResponseInvalid) as caught:
        sync()

    text = f"{caught.value} {caught.value.user_message} {caught.value!r}"
    assert "starred_at" in text
    assert not any(name in text for name in COUNTERPARTS)


def test_a_next_link_to_another_host_is_refused_and_the_token_stays_home(
    mocked: responses.RequestsMock,
) -> None:
    add_user(mocked)
    mocked.get(
        f"{API}/user/repos",
        json=load("github_repos_page1.json"),
        headers=link(next="https://attacker.example/steal?page=2"),
    )

    with pytest.raises(ProviderResponseInvalid, match="away from the provider"):
        sync()

    assert all(str(call.request.url).startswith(API) for call in mocked.calls)


def test_a_redirect_is_not_followed(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/user", status=302, headers={"Location": "http://169.254.169.254/"})

    with pytest.raises(ProviderResponseInvalid):
        sync()

    assert len(mocked.calls) == 1


def test_rate_limited_survives_pickling_for_celery() -> None:
    error = RateLimited("GET /user: HTTP 429", retry_after=42.0, user_message="Slow down.")

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, RateLimited)
    assert (copy.retry_after, copy.user_message, str(copy)) == (
        42.0,
        "Slow down.",
        "GET /user: HTTP 429",
    )
