"""The directory: members granting `discovery`, found by approved topic (case and `#`
ignored) or by handle, best topic score first, a page at a time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services.handles import handle_set
from scoring.models import Topic, TopicStatus
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def listed(name: str, *, topics: dict[str, int] | None = None, display: str = "") -> User:
    user = make_member(f"{name}@example.org", [Purpose.DISCOVERY, Purpose.SCORING])
    handle_set(member=user, handle=name)
    if display:
        User.objects.filter(pk=user.pk).update(display_name=display)
    for label, score in (topics or {}).items():
        Topic.objects.create(user=user, label=label, status=TopicStatus.APPROVED, score=score)
    return user


def entries(client, **params: str) -> list[str]:
    page = client.get(reverse("directory"), params).content.decode()
    return [line.split("<")[0] for line in page.split('<p class="muted">@')[1:]]


def test_searching_hash_privacy_finds_the_privacy_topic(client) -> None:
    listed("ann_q", topics={"privacy": 10})
    listed("ben_q", topics={"python": 10})
    assert entries(client, q="#Privacy") == ["ann_q"]
    assert entries(client, q="PRIVACY") == ["ann_q"]
    assert entries(client, topic="#privacy") == ["ann_q"]  # the old parameter still works


def test_members_are_sorted_by_their_score_in_the_topic(client) -> None:
    listed("low_q", topics={"privacy": 5})
    listed("top_q", topics={"privacy": 80})
    listed("mid_q", topics={"privacy": 40})
    assert entries(client, q="#privacy") == ["top_q", "mid_q", "low_q"]


def test_only_approved_topics_are_searchable(client) -> None:
    user = listed("ann_q")
    Topic.objects.create(user=user, label="health", status=TopicStatus.SUGGESTED)
    Topic.objects.create(user=user, label="gossip", status=TopicStatus.BLOCKED)
    assert entries(client, q="#health") == [] and entries(client, q="gossip") == []


def test_it_finds_members_by_the_start_of_their_handle(client) -> None:
    listed("alice_q")
    listed("alina_q")
    listed("bob_q")
    assert entries(client, q="@ali") == ["alice_q", "alina_q"]
    assert entries(client, q="@ALINA") == ["alina_q"]


def test_it_lists_handle_and_display_name_never_a_member(client) -> None:
    listed("ann_q", display="Ann Quuxley")
    page = client.get(reverse("directory")).content.decode()
    assert "Ann Quuxley" in page and "@ann_q" in page and "A member" not in page


def test_without_discovery_or_a_handle_nobody_is_listed(client, bob: User, alice: User) -> None:
    handle_set(member=bob, handle="bob_q")  # has a handle, no discovery consent
    # alice grants discovery but has no handle yet
    assert entries(client) == []


def test_the_directory_is_paginated(client) -> None:
    for n in range(25):
        listed(f"member_{n:02d}", topics={"privacy": n})
    first = entries(client, q="#privacy")
    second = entries(client, q="#privacy", page="2")
    assert len(first) == 20 and len(second) == 5
    assert first[0] == "member_24" and second[-1] == "member_00"
    assert not set(first) & set(second)


def test_a_page_number_out_of_range_or_not_a_number_shows_a_page_that_exists(client) -> None:
    for n in range(25):
        listed(f"member_{n:02d}")
    last = entries(client, page="2")
    assert len(last) == 5
    assert entries(client, page="9") == last  # past the end: the last page
    assert entries(client, page="0") == last  # below 1: the last page, as Paginator.get_page
    assert entries(client, page="two") == entries(client)  # not a number: the first page
    assert len(entries(client)) == 20
    page = client.get(reverse("directory"), {"page": "9"}).content.decode()
    assert "Page 2 of 2" in page and "page=1" in page and "page=3" not in page


def test_a_handle_search_takes_wildcards_literally(client) -> None:
    listed("ab_q")
    listed("abc_q")
    assert entries(client, q="@ab_") == ["ab_q"]  # "_" is not "any character"
    assert entries(client, q="@a%") == []  # nor "%" "anything"
    assert entries(client, q="@") == []  # no handle given: nobody


def test_every_listed_member_shows_their_public_topics_best_first(client) -> None:
    listed("ann_q", topics={"privacy": 10, "python": 30})
    user = listed("ben_q", topics={"cycling": 5})
    Topic.objects.create(user=user, label="gossip", status=TopicStatus.SUGGESTED)
    page = client.get(reverse("directory")).content.decode()
    ann = page.split('<p class="muted">@ann_q')[1].split("</li>")[0]
    ben = page.split('<p class="muted">@ben_q')[1].split("</li>")[0]
    assert ann.index("#python") < ann.index("#privacy")
    assert "#cycling" in ben and "gossip" not in ben
