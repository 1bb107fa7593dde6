"""Recorded GitHub REST API responses, shaped after its docs, for connector and sources tests."""

from __future__ import annotations

from typing import Any

import responses
from responses import matchers

from signals.connectors.github import github_sync
from tests.signals.connectors.conftest import load

API = "https://api.github.com"
REPOS_QUERY = {"type": "owner", "sort": "created", "direction": "desc", "per_page": "100"}
COMMENTS_QUERY = {"sort": "created", "direction": "desc", "per_page": "100"}
COUNTERPARTS = ("dana", "erin", "frank", "grace", "ivan")


def link(**rels: str) -> dict[str, str]:
    return {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in rels.items())}


def add_user(rsps: responses.RequestsMock, **headers: str) -> None:
    rsps.get(
        f"{API}/user",
        json=load("github_user.json"),
        headers={"X-RateLimit-Remaining": "4990", **headers},
        match=[
            matchers.header_matcher(
                {
                    "Authorization": "Bearer gho_test",
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": "2022-11-28",
                }
            )
        ],
    )


def add_lists(rsps: responses.RequestsMock) -> None:
    """/user/repos over two pages, then followers and following."""
    page2 = f"{API}/user/repos?type=owner&sort=created&direction=desc&per_page=100&page=2"
    page1 = f"{API}/user/repos?type=owner&sort=created&direction=desc&per_page=100&page=1"
    rsps.get(
        f"{API}/user/repos",
        json=load("github_repos_page1.json"),
        headers=link(next=page2, last=page2),
        match=[matchers.query_param_matcher(REPOS_QUERY)],
    )
    rsps.get(
        f"{API}/user/repos",
        json=load("github_repos_page2.json"),
        headers=link(prev=page1, first=page1),
        match=[matchers.query_param_matcher({**REPOS_QUERY, "page": "2"})],
    )
    rsps.get(f"{API}/user/followers", json=load("github_followers.json"))
    rsps.get(f"{API}/user/following", json=load("github_following.json"))


def add_stargazers(rsps: responses.RequestsMock) -> None:
    # GitHub's own Link URLs use /repositories/:id; they are on the same origin.
    page1 = f"{API}/repositories/501/stargazers?per_page=100&page=1"
    page2 = f"{API}/repositories/501/stargazers?per_page=100&page=2"
    rsps.get(
        f"{API}/repos/alice/privacy-kit/stargazers",
        json=load("github_stargazers_page1.json"),
        headers=link(next=page2, last=page2),
        match=[
            matchers.query_param_matcher({"per_page": "100"}),
            matchers.header_matcher({"Accept": "application/vnd.github.star+json"}),
        ],
    )
    rsps.get(
        page2,
        json=load("github_stargazers_page2.json"),
        headers=link(prev=page1, first=page1),
        match=[matchers.header_matcher({"Accept": "application/vnd.github.star+json"})],
    )


def add_full_sync(rsps: responses.RequestsMock) -> None:
    add_user(rsps)
    add_lists(rsps)
    add_stargazers(rsps)
    rsps.get(
        f"{API}/repos/alice/privacy-kit/forks",
        json=load("github_forks.json"),
        match=[matchers.query_param_matcher({"sort": "newest", "per_page": "100"})],
    )
    rsps.get(
        f"{API}/repos/alice/privacy-kit/issues/comments",
        json=load("github_issue_comments.json"),
        match=[matchers.query_param_matcher(COMMENTS_QUERY)],
    )
    rsps.get(
        f"{API}/repos/alice/dotfiles/issues/comments",
        json=[],
        match=[matchers.query_param_matcher(COMMENTS_QUERY)],
    )


def sync(cursor: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return github_sync(token="gho_test", cursor=cursor, **kwargs)
