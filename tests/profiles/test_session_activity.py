"""Session activity (the sessions list's "last active") is recorded at most once a minute
per session and device, not on every request (issue 13), and sessions live in the cache
with the database as their record."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


def _session_row(client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


def _age(client, *, minutes: int) -> None:
    """Make the session's recorded activity older, as if the member had been away."""
    UserSession.objects.filter(session_key=client.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.mark.django_db
def test_activity_is_recorded_once_then_not_again_within_the_minute(client, alice) -> None:
    client.force_login(alice)
    client.get("/dashboard/", HTTP_USER_AGENT="Firefox on Linux")
    first = _session_row(client)
    assert first.user_agent == "Firefox on Linux"
    _age(client, minutes=5)

    with CaptureQueriesContext(connection) as queries:
        client.get("/dashboard/", HTTP_USER_AGENT="Firefox on Linux")
    assert not [q for q in queries if "usersessions_usersession" in q["sql"]]
    assert _session_row(client).last_seen_at < timezone.now() - timedelta(minutes=4)


@pytest.mark.django_db
def test_a_new_browser_or_address_is_recorded_at_once(client, alice) -> None:
    client.force_login(alice)
    client.get("/dashboard/", HTTP_USER_AGENT="Firefox on Linux")
    _age(client, minutes=5)

    client.get("/dashboard/", HTTP_USER_AGENT="Chrome on Android")
    row = _session_row(client)
    assert row.user_agent == "Chrome on Android"
    assert row.last_seen_at > timezone.now() - timedelta(minutes=1)

    _age(client, minutes=5)
    client.get("/dashboard/", HTTP_USER_AGENT="Chrome on Android", REMOTE_ADDR="192.0.2.44")
    row = _session_row(client)
    assert row.ip == "192.0.2.44"
    assert row.last_seen_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
def test_activity_is_recorded_again_once_the_interval_is_over(client, alice, monkeypatch) -> None:
    monkeypatch.setattr("profiles.middleware.SESSION_ACTIVITY_SECONDS", 1)
    client.force_login(alice)
    client.get("/dashboard/")
    _age(client, minutes=5)
    client.get("/dashboard/")
    assert _session_row(client).last_seen_at < timezone.now() - timedelta(minutes=4)

    time.sleep(1.2)  # the cache forgets the session when the interval is over
    client.get("/dashboard/")
    assert _session_row(client).last_seen_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
def test_a_session_survives_a_cleared_cache(client, alice) -> None:
    """The cache holds a copy; the database row is the record (cached_db on Redis)."""
    from influence.cache import cache_clear_own_keys

    client.force_login(alice)
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    cache_clear_own_keys()
    response = client.get("/dashboard/")
    assert response.status_code == 200
    if settings.REDIS_URL:
        assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
