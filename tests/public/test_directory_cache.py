"""Issue #13: signed-out directory and search pages come whole from the cache, with no
per-request value in them, and any change to a listed member shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services.consent import consent_withdraw
from profiles.services.handles import handle_set
from scoring.services.topics import topic_delete
from tests.public.test_directory import entries, listed

pytestmark = pytest.mark.django_db


def queries_for(client, **params: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("directory"), params).status_code == 200
    return len(ctx)


def test_a_second_signed_out_visit_costs_no_query_and_shows_the_same_page(client) -> None:
    listed("ann_q", topics={"privacy": 10})
    first = client.get(reverse("directory"), {"q": "#privacy"}).content
    assert queries_for(client, q="#privacy") == 0
    assert client.get(reverse("directory"), {"q": "#privacy"}).content == first
    assert queries_for(client) > 0  # another search is another page
    assert queries_for(client) == 0


def test_the_cached_page_holds_no_csrf_token(client) -> None:
    listed("ann_q", topics={"privacy": 10})
    client.get(reverse("directory"))
    html = client.get(reverse("directory")).content.decode()
    assert "csrfmiddlewaretoken" not in html and "ann_q" in html


def test_signed_in_members_are_never_served_the_cached_page(client, alice: User) -> None:
    listed("ann_q")
    client.get(reverse("directory"))
    client.force_login(alice)
    html = client.get(reverse("directory")).content.decode()
    assert "Sign out" in html and "csrfmiddlewaretoken" in html
    assert queries_for(client) > 0


def test_odd_page_parameters_are_not_cached(client) -> None:
    listed("ann_q")
    client.get(reverse("directory"), {"page": "last"})
    assert queries_for(client, page="last") > 0


def test_a_handle_change_shows_at_once(client) -> None:
    ann = listed("ann_q", topics={"privacy": 10})
    assert entries(client, q="#privacy") == ["ann_q"]
    handle_set(member=ann, handle="anne_q")
    assert entries(client, q="#privacy") == ["anne_q"]


def test_withdrawing_discovery_leaves_the_cached_pages_at_once(client) -> None:
    ann = listed("ann_q", topics={"privacy": 10})
    listed("ben_q", topics={"privacy": 5})
    assert sorted(entries(client)) == ["ann_q", "ben_q"]
    assert entries(client, q="#privacy") == ["ann_q", "ben_q"]
    consent_withdraw(user=ann, purpose=Purpose.DISCOVERY)
    assert entries(client, q="#privacy") == ["ben_q"]
    assert "ann_q" not in entries(client)


def test_deleting_a_topic_shows_at_once(client) -> None:
    ann = listed("ann_q", topics={"privacy": 10})
    assert entries(client, q="#privacy") == ["ann_q"]
    topic_delete(member=ann, topic_id=ann.topics.get(label="privacy").pk)
    assert entries(client, q="#privacy") == []
