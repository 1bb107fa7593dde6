"""A signed-in page reads the member's consent ledger once (issue 13): the re-consent
check keeps what it read on the request's member, and the page reuses it; a consent
change made through that object is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import consent_states_of_request
from profiles.services import consent_give, consent_withdraw

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["dashboard", "topics", "import_new"])
def test_a_page_reads_the_consent_ledger_once(client, alice: User, name: str) -> None:
    client.force_login(alice)
    client.get(reverse(name))  # records the session's activity first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    ledger = [q for q in queries if 'FROM "profiles_consentrecord"' in q["sql"]]
    assert len(ledger) == 1


def test_a_change_through_the_same_object_is_seen_at_once(alice: User) -> None:
    assert consent_states_of_request(member=alice)[Purpose.SCORING].active
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert not consent_states_of_request(member=alice)[Purpose.SCORING].active
    consent_give(user=alice, purpose=Purpose.SCORING)
    assert consent_states_of_request(member=alice)[Purpose.SCORING].active


def test_pages_say_at_once_when_scoring_was_withdrawn(client, alice: User) -> None:
    client.force_login(alice)
    assert 'data-testid="topics-no-consent"' not in client.get(reverse("topics")).content.decode()
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert 'data-testid="topics-no-consent"' in client.get(reverse("topics")).content.decode()
    assert "Importing needs your consent" in client.get(reverse("import_new")).content.decode()
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="state-no-consent"' in html
