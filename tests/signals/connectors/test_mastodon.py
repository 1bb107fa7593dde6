"""Mastodon connector against recorded responses shaped after docs.joinmastodon.org."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from responses import matchers

from signals.connectors.errors import (
    ProviderResponseInvalid,
    ProviderUnavailable,
    RateLimited,
    RegistrationRefused,
    TokenRevoked,
)
from signals.connectors.mastodon import mastodon_register_app, mastodon_sync
from tests.signals.connectors.archive import assert_archive_v1
from tests.signals.connectors.conftest import load
from tests.signals.connectors.mastodon_api import (
    COUNTERPARTS,
    INSTANCE,
    ME,
    REDIRECT_URI,
    S1,
    add_engagement,
    add_full_sync,
    add_me,
    add_notifications,
    add_people,
    add_statuses,
    sync,
)


def test_a_full_sync_maps_to_archive_records(mocked: responses.RequestsMock) -> None:
    add_full_sync(mocked)

    result = sync()

    assert_archive_v1(result.records)
    s1 = f"status:{S1}"
    assert result.records == [
        {
            "type": "account",
            "network": "mastodon",
            "handle": "alice@mastodon.example",
            "followers": 1200,
            "following": 310,
            "created_at": "2019-04-01T00:00:00Z",
        },
        {
            "type": "post",
            "id": s1,
            "at": "2026-10-01T12:00:00Z",
            "tags": ["privacy"],
            "text": "Consent should be the default. #Privacy thanks\n"
            "Notes: alice.example/consent/first",
        },
        {
            "type": "post",
            "id": "status:109000000000000001",
            "at": "2026-09-29T09:00:00Z",
            "tags": ["python"],
            "text": "agreed, #python too",
        },
        # Given: the member's boost of carol, and reply to dave.
        {
            "type": "interaction",
            "kind": "reshare",
            "to": "carol@x.social",
            "at": "2026-09-30T11:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "reply",
            "to": "dave@y.social",
            "at": "2026-09-29T09:00:00Z",
        },
        # Received, from mention notifications: a plain mention, and a reply to S1.
        {
            "type": "interaction",
            "kind": "mention",
            "by": "hank@mastodon.example",
            "at": "2026-10-03T08:00:01Z",
        },
        {
            "type": "interaction",
            "kind": "reply",
            "by": "gina@w.social",
            "post": s1,
            "at": "2026-10-02T08:00:00Z",
        },
        # Received, from favourited_by and reblogged_by of S1.
        {
            "type": "interaction",
            "kind": "like",
            "by": "bob@other.social",
            "post": s1,
            "at": "2026-10-01T12:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "like",
            "by": "erin@mastodon.example",
            "post": s1,
            "at": "2026-10-01T12:00:00Z",
        },
        {
            "type": "interaction",
            "kind": "reshare",
            "by": "frank@z.social",
            "post": s1,
            "at": "2026-10-01T12:00:00Z",
        },
        {"type": "follower", "by": "bob@other.social", "at": "2026-11-01T00:00:00Z"},
        {"type": "follower", "by": "ivy@mastodon.example", "at": "2026-11-01T00:00:00Z"},
        {"type": "following", "of": "dave@y.social", "at": "2026-11-01T00:00:00Z"},
    ]
    assert result.cursor == {"since_id": S1, "notifications_since_id": "34975900"}
    assert result.complete is True


def test_it_follows_link_next_and_keeps_records_from_every_page(
    mocked: responses.RequestsMock,
) -> None:
    add_full_sync(mocked)

    records = sync().records

    posts = [r["id"] for r in records if r["type"] == "post"]
    assert posts == [f"status:{S1}", "status:109000000000000001"]  # pages 1 and 2
    assert "max_id=109000000000000000" in str(mocked.calls[3].request.url)  # page 3, empty: stop


def test_direct_messages_are_not_posts_and_their_words_are_not_kept(
    mocked: responses.RequestsMock,
) -> None:
    add_full_sync(mocked)

    records = sync().records

    assert "status:109000000000000000" not in {r.get("id") for r in records}
    assert not any("secret" in r.get("text", "") for r in records)


def test_incremental_sync_sends_since_id_from_the_cursor_and_stops_there(
    mocked: responses.RequestsMock,
) -> None:
    add_me(mocked)
    add_statuses(mocked, {"limit": "40", "since_id": "109000000000000001"})
    add_notifications(mocked, {"types[]": "mention", "limit": "80", "since_id": "34975861"})
    add_people(mocked)
    add_engagement(mocked)

    result = sync({"since_id": "109000000000000001", "notifications_since_id": "34975861"})

    assert_archive_v1(result.records)
    assert [r["id"] for r in result.records if r["type"] == "post"] == [f"status:{S1}"]
    mentions = [r for r in result.records if r.get("kind") in ("mention", "reply")]
    assert mentions == [
        {
            "type": "interaction",
            "kind": "mention",
            "by": "hank@mastodon.example",
            "at": "2026-10-03T08:00:01Z",
        }
    ]
    assert result.cursor == {"since_id": S1, "notifications_since_id": "34975900"}


def test_with_nothing_new_the_cursor_stays(mocked: responses.RequestsMock) -> None:
    add_me(mocked)
    mocked.get(f"{ME}/statuses", json=[])
    mocked.get(f"{INSTANCE}/api/v1/notifications", json=[])
    add_people(mocked)
    cursor = {"since_id": S1, "notifications_since_id": "34975900"}

    result = sync(cursor)

    assert result.cursor == cursor
    assert [r["type"] for r in result.records] == ["account", "follower", "follower", "following"]


def test_a_reply_to_a_post_from_an_earlier_sync_counts_without_naming_it(
    mocked: responses.RequestsMock,
) -> None:
    add_me(mocked)
    mocked.get(f"{ME}/statuses", json=[])  # nothing new: S1 was declared last time
    add_notifications(mocked, {"types[]": "mention", "limit": "80", "since_id": "34975000"})
    add_people(mocked)

    result = sync({"since_id": S1, "notifications_since_id": "34975000"})

    assert_archive_v1(result.records)
    replies = [r for r in result.records if r.get("kind") == "reply"]
    assert replies == [
        {
            "type": "interaction",
            "kind": "reply",
            "by": "gina@w.social",
            "at": "2026-10-02T08:00:00Z",
        }
    ]


def test_a_status_deleted_mid_sync_is_skipped(mocked: responses.RequestsMock) -> None:
    add_me(mocked)
    add_statuses(mocked, {"limit": "40"})
    add_notifications(mocked, {"types[]": "mention", "limit": "80"})
    add_people(mocked)
    mocked.get(
        f"{INSTANCE}/api/v1/statuses/{S1}/favourited_by",
        status=404,
        json={"error": "Record not found"},
    )

    result = sync()

    assert not any(r.get("kind") == "like" for r in result.records)
    assert_archive_v1(result.records)


def test_it_stops_status_lookups_near_the_rate_limit(mocked: responses.RequestsMock) -> None:
    add_me(mocked)
    add_statuses(mocked, {"limit": "40"})
    add_notifications(mocked, {"types[]": "mention", "limit": "80"})
    mocked.get(f"{ME}/followers", json=[])
    mocked.get(f"{ME}/following", json=[], headers={"X-RateLimit-Remaining": "3"})

    result = sync()

    assert result.complete is False
    assert not any(r.get("kind") in ("like",) for r in result.records)
    assert "favourited_by" not in " ".join(str(call.request.url) for call in mocked.calls)


def test_a_429_raises_rate_limited_from_x_ratelimit_reset(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        status=429,
        json=load("mastodon_too_many_requests.json"),
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2026-11-01T00:05:00.000Z",
        },
    )

    with pytest.raises(RateLimited) as caught:
        sync()

    assert caught.value.retry_after == 300.0
    assert len(mocked.calls) == 1


def test_a_429_with_retry_after_wins_over_the_reset(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        status=429,
        json=load("mastodon_too_many_requests.json"),
        headers={
            "Retry-After": "17",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2026-11-01T00:05:00.000Z",
        },
    )

    with pytest.raises(RateLimited) as caught:
        sync()

    assert caught.value.retry_after == 17.0
    assert len(mocked.calls) == 1


def test_a_revoked_token_raises_token_revoked_in_plain_words(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        status=401,
        json=load("mastodon_invalid_token.json"),
    )

    with pytest.raises(TokenRevoked) as caught:
        sync()

    assert caught.value.user_message == (
        "Mastodon (mastodon.example) access was revoked — reconnect your account."
    )


def test_a_disabled_login_raises_token_revoked(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        status=403,
        json=load("mastodon_login_disabled.json"),
    )

    with pytest.raises(TokenRevoked):
        sync()


def test_a_server_error_raises_provider_unavailable(mocked: responses.RequestsMock) -> None:
    add_me(mocked)
    mocked.get(f"{ME}/statuses", status=503, body="<html>Maintenance</html>")

    with pytest.raises(ProviderUnavailable):
        sync()


def test_a_timeout_raises_provider_unavailable(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        body=requests.exceptions.ReadTimeout(),
    )

    with pytest.raises(ProviderUnavailable, match="timed out"):
        sync()


def test_an_html_page_instead_of_json_raises_provider_response_invalid(
    mocked: responses.RequestsMock,
) -> None:
    add_me(mocked)
    mocked.get(f"{ME}/statuses", body="<!DOCTYPE html><title>Welcome</title>")

    with pytest.raises(ProviderResponseInvalid):
        sync()


def test_errors_never_name_a_counterpart(mocked: responses.RequestsMock) -> None:
    add_me(mocked)
    add_statuses(mocked, {"limit": "40"})
    add_notifications(mocked, {"types[]": "mention", "limit": "80"})
    add_people(mocked)
    broken = [{"id": "201", "username": "bob", "url": "https://other.social/@bob"}]  # no acct
    mocked.get(f"{INSTANCE}/api/v1/statuses/{S1}/favourited_by", json=broken)

    with pytest.raises(ProviderResponseInvalid) as caught:
        sync()

    text = f"{caught.value} {caught.value.user_message} {caught.value!r}"
    assert "acct" in text
    assert not any(name in text for name in COUNTERPARTS)


def test_a_private_instance_is_refused_before_any_request(
    mocked: responses.RequestsMock,
) -> None:
    for instance in ("169.254.169.254", "localhost", "http://127.0.0.1:3000", "db.internal"):
        with pytest.raises(ValueError):
            mastodon_sync(instance=instance, token="masto_test", cursor=None)
        with pytest.raises(ValueError):
            mastodon_register_app(
                instance=instance,
                redirect_uri=REDIRECT_URI,
                client_name="Influence",
                website="https://influence.example",
            )

    assert len(mocked.calls) == 0


# --- app registration ---------------------------------------------------------------


def register(**kwargs: Any) -> dict[str, str]:
    return mastodon_register_app(
        instance="https://Mastodon.Example/",
        redirect_uri=REDIRECT_URI,
        client_name="Influence",
        website="https://influence.example",
        **kwargs,
    )


def test_registration_sends_the_documented_fields_and_returns_the_credentials(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(f"{INSTANCE}/api/v1/apps", json=load("mastodon_app.json"))

    credentials = register()

    assert credentials == {
        "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    }
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    assert parse_qs(body) == {
        "client_name": ["Influence"],
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["read"],
        "website": ["https://influence.example"],
    }


def test_registration_passes_the_scopes_asked_for(mocked: responses.RequestsMock) -> None:
    mocked.post(
        f"{INSTANCE}/api/v1/apps",
        json=load("mastodon_app.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "client_name": "Influence",
                    "redirect_uris": REDIRECT_URI,
                    "scopes": "read:accounts read:statuses read:notifications",
                    "website": "https://influence.example",
                }
            )
        ],
    )

    register(scopes="read:accounts read:statuses read:notifications")


@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        (422, {"json": load("mastodon_app_invalid.json")}),
        (403, {"json": {"error": "This action is not allowed"}}),
        (200, {"body": "<!DOCTYPE html><html><body>Welcome to my blog</body></html>"}),
        (404, {"body": "<html>Not Found</html>"}),
        (302, {"headers": {"Location": "https://elsewhere.example/"}}),
        (200, {"json": {"id": "1", "name": "Influence", "client_id": "abc"}}),
        (200, {"json": {"client_id": "abc", "client_secret": 12345}}),
        (200, {"json": {"client_id": "", "client_secret": "xyz"}}),
        (200, {"json": ["not", "an", "object"]}),
    ],
)
def test_an_instance_that_refuses_registration_raises_registration_refused(
    mocked: responses.RequestsMock, status: int, kwargs: dict[str, Any]
) -> None:
    mocked.post(f"{INSTANCE}/api/v1/apps", status=status, **kwargs)

    with pytest.raises(RegistrationRefused) as caught:
        register()

    assert caught.value.user_message.startswith("mastodon.example didn't accept Influence")
    assert caught.value.retryable is False
    assert len(mocked.calls) == 1


def test_registration_under_a_rate_limit_raises_rate_limited(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(
        f"{INSTANCE}/api/v1/apps",
        status=429,
        json=load("mastodon_too_many_requests.json"),
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-01T00:01:00Z"},
    )

    with pytest.raises(RateLimited) as caught:
        register()

    assert caught.value.retry_after == 60.0


@pytest.mark.parametrize(
    "kwargs",
    [{"status": 502, "body": "Bad Gateway"}, {"body": requests.exceptions.ConnectTimeout()}],
)
def test_registration_on_a_down_instance_raises_provider_unavailable(
    mocked: responses.RequestsMock, kwargs: dict[str, Any]
) -> None:
    mocked.post(f"{INSTANCE}/api/v1/apps", **kwargs)

    with pytest.raises(ProviderUnavailable):
        register()
