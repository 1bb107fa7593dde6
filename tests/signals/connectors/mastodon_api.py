"""Recorded Mastodon API responses, shaped after docs.joinmastodon.org, for several tests."""

from __future__ import annotations

from typing import Any

import responses
from responses import matchers

from signals.connectors.mastodon import mastodon_sync
from tests.signals.connectors.conftest import load

INSTANCE = "https://mastodon.example"
ME = f"{INSTANCE}/api/v1/accounts/14715"
S1 = "109000000000000003"
REDIRECT_URI = "https://influence.example/accounts/mastodon/login/callback/"
COUNTERPARTS = ("bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivy")


def link(**rels: str) -> dict[str, str]:
    return {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in rels.items())}


def add_me(rsps: responses.RequestsMock, **headers: str) -> None:
    rsps.get(
        f"{INSTANCE}/api/v1/accounts/verify_credentials",
        json=load("mastodon_verify_credentials.json"),
        headers={"X-RateLimit-Remaining": "299", **headers},
        match=[matchers.header_matcher({"Authorization": "Bearer masto_test"})],
    )


def add_statuses(rsps: responses.RequestsMock, query: dict[str, str]) -> None:
    page2 = f"{ME}/statuses?limit=40&max_id=109000000000000002"
    page3 = f"{ME}/statuses?limit=40&max_id=109000000000000000"
    rsps.get(
        f"{ME}/statuses",
        json=load("mastodon_statuses_page1.json"),
        headers=link(next=page2, prev=f"{ME}/statuses?limit=40&min_id={S1}"),
        match=[matchers.query_param_matcher(query)],
    )
    rsps.get(
        page2,
        json=load("mastodon_statuses_page2.json"),
        headers=link(next=page3, prev=f"{ME}/statuses?limit=40&min_id=109000000000000001"),
    )
    if "since_id" not in query:
        rsps.get(page3, json=[])


def add_notifications(rsps: responses.RequestsMock, query: dict[str, str]) -> None:
    rsps.get(
        f"{INSTANCE}/api/v1/notifications",
        json=load("mastodon_notifications.json"),
        headers=link(prev=f"{INSTANCE}/api/v1/notifications?min_id=34975900"),
        match=[matchers.query_param_matcher(query)],
    )


def add_people(rsps: responses.RequestsMock) -> None:
    query = [matchers.query_param_matcher({"limit": "80"})]
    rsps.get(f"{ME}/followers", json=load("mastodon_followers.json"), match=query)
    rsps.get(f"{ME}/following", json=load("mastodon_following.json"), match=query)


def add_engagement(rsps: responses.RequestsMock) -> None:
    query = [matchers.query_param_matcher({"limit": "80"})]
    status = f"{INSTANCE}/api/v1/statuses/{S1}"
    rsps.get(f"{status}/favourited_by", json=load("mastodon_favourited_by.json"), match=query)
    rsps.get(f"{status}/reblogged_by", json=load("mastodon_reblogged_by.json"), match=query)


def add_full_sync(rsps: responses.RequestsMock) -> None:
    add_me(rsps)
    add_statuses(rsps, {"limit": "40"})
    add_notifications(rsps, {"types[]": "mention", "limit": "80"})
    add_people(rsps)
    add_engagement(rsps)


def sync(cursor: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return mastodon_sync(instance="Mastodon.Example", token="masto_test", cursor=cursor, **kwargs)
