"""The unread notification count and the consent states a signed-in page reads are kept in
the cache under a per-member version (issue 13): a second page reads neither table, and
every writer's change shows on the next page at once.

These tests commit (``transaction=True``): inside a test's transaction the cache is not
used, and the version changes when the writer's transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.models import Notification, NotificationKind, User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from profiles.services.notifications import notification_send, notifications_mark_read
from tests.conftest import OPTIONAL_PURPOSES, make_member

pytestmark = pytest.mark.django_db(transaction=True)

UNREAD = 'data-testid="nav-unread"'


@pytest.fixture
def member() -> User:
    user = make_member("cached@example.org", [p.purpose for p in OPTIONAL_PURPOSES])
    notifications_mark_read(member=user)  # the sign-up's consent receipt
    return user


def _tables_read(client, name: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    return [q["sql"] for q in queries]


def test_a_second_page_reads_neither_the_ledger_nor_the_notifications(client, member) -> None:
    client.force_login(member)
    first = _tables_read(client, "topics")
    assert any('FROM "profiles_notification"' in q for q in first)
    assert any('FROM "profiles_consentrecord"' in q for q in first)
    again = _tables_read(client, "topics")
    assert not any('FROM "profiles_notification"' in q for q in again)
    assert not any('FROM "profiles_consentrecord"' in q for q in again)


def _unread(client) -> str | None:
    html = client.get(reverse("topics")).content.decode()
    if UNREAD not in html:
        return None
    return html.split(UNREAD, 1)[1].split(">", 1)[1].split("<", 1)[0]


def _send(member: User) -> Notification:
    return notification_send(user_id=member.pk, kind=NotificationKind.IMPORT_DONE, title="Done")


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(_send, id="notification_send"),
        pytest.param(
            lambda m: Notification.objects.create(
                user=m, kind=NotificationKind.IMPORT_DONE, title="By hand"
            ),
            id="a row saved elsewhere (admin)",
        ),
    ],
)
def test_a_new_notification_shows_at_once(client, member, write: Callable) -> None:
    client.force_login(member)
    assert _unread(client) is None
    assert _unread(client) is None  # now from the cache
    write(member)
    assert _unread(client) == "1"
    write(member)
    assert _unread(client) == "2"


def test_read_notifications_leave_the_count_at_once(client, member) -> None:
    first, second = _send(member), _send(member)
    client.force_login(member)
    assert _unread(client) == "2"
    assert _unread(client) == "2"
    notifications_mark_read(member=member, ids=[first.pk])
    assert _unread(client) == "1"
    assert _unread(client) == "1"
    notifications_mark_read(member=member, ids=[second.pk])
    assert _unread(client) is None


def test_a_consent_change_shows_at_once(client, member) -> None:
    client.force_login(member)
    no_consent = 'data-testid="topics-no-consent"'
    assert no_consent not in client.get(reverse("topics")).content.decode()
    assert no_consent not in client.get(reverse("topics")).content.decode()
    consent_withdraw(user=User.objects.get(pk=member.pk), purpose=Purpose.SCORING)
    assert no_consent in client.get(reverse("topics")).content.decode()
    assert 'data-testid="state-no-consent"' in client.get(reverse("dashboard")).content.decode()
    consent_give(user=User.objects.get(pk=member.pk), purpose=Purpose.SCORING)
    assert no_consent not in client.get(reverse("topics")).content.decode()
    assert 'data-testid="state-no-consent"' not in (
        client.get(reverse("dashboard")).content.decode()
    )


def test_a_consent_change_through_the_consent_centre_shows_at_once(client, member) -> None:
    client.force_login(member)
    no_consent = 'data-testid="topics-no-consent"'
    assert no_consent not in client.get(reverse("topics")).content.decode()
    response = client.post(
        reverse("consent_change", args=[Purpose.SCORING]), {"action": "withdraw"}
    )
    assert response.status_code == 302
    assert no_consent in client.get(reverse("topics")).content.decode()


def test_a_new_policy_asks_again_though_the_states_are_cached(client, member, new_policy) -> None:
    client.force_login(member)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200
    new_policy(Purpose.SCORING)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reconsent"))


def test_the_consent_history_shows_a_new_row_at_once(client, member) -> None:
    client.force_login(member)
    before = client.get(reverse("consent_centre")).content.decode()
    assert "Withdrawn" not in before
    again = _tables_read(client, "consent_centre")
    assert not any('FROM "profiles_consentrecord"' in q for q in again)
    record = consent_withdraw(user=User.objects.get(pk=member.pk), purpose=Purpose.DISCOVERY)
    page = client.get(reverse("consent_centre")).content.decode()
    assert page.count("<tr><td>") == before.count("<tr><td>") + 1
    assert "Withdrawn" in page
    assert str(record.receipt_id) in page
