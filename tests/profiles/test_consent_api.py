"""The consent API: one call grants or withdraws, through the same services, audited alike."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.purposes import Purpose
from profiles.receipts import receipt_verify
from profiles.selectors import has_active_consent
from scoring.models import Score
from tests.profiles.conftest import give_score

# The API takes JSON bodies only; these calls have none to send.
JSON = "application/json"

pytestmark = pytest.mark.django_db


def change_url(purpose: str, action: str = "withdraw") -> str:
    name = "api_consent_grant" if action == "grant" else "api_consent_withdraw"
    return reverse(name, args=[purpose])


def test_one_call_withdraws_with_the_same_effects_and_a_receipt(client, alice: User) -> None:
    give_score(alice)
    client.force_login(alice)
    response = client.post(change_url(Purpose.SCORING, "withdraw"), content_type=JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["granted"] is False and receipt_verify(body["receipt"]).genuine
    assert not Score.objects.filter(user=alice).exists()
    latest = ConsentRecord.objects.filter(user=alice, purpose=Purpose.SCORING).last()
    assert latest is not None and latest.method == ConsentMethod.API


def test_one_call_grants_and_the_list_shows_it(client, bob: User) -> None:
    client.force_login(bob)
    assert client.post(change_url(Purpose.DISCOVERY, "grant"), content_type=JSON).status_code == 200
    body = client.get(reverse("api_consents")).json()
    states = {s["purpose"]: s for s in body["purposes"]}
    assert states["discovery"]["active"] and not states["scoring"]["granted"]
    assert has_active_consent(user_id=bob.pk, purpose=Purpose.DISCOVERY)


@pytest.mark.parametrize(
    ("purpose", "action", "error"),
    [
        (Purpose.SCORING, "grant", "already granted"),
        (Purpose.TERMS, "withdraw", "delete the account"),
        ("nonsense", "grant", "not a purpose"),
    ],
)
def test_a_refused_call_says_why_and_changes_nothing(
    client, alice: User, purpose: str, action: str, error: str
) -> None:
    client.force_login(alice)
    before = ConsentRecord.objects.count()
    response = client.post(change_url(purpose, action), content_type=JSON)
    problem = response.json()
    assert response.status_code == 422 and error in problem["detail"]
    assert response["Content-Type"] == "application/problem+json"
    assert problem["type"].endswith("/api/problems/consent-refused")
    assert ConsentRecord.objects.count() == before


def test_the_api_needs_a_signed_in_member_and_a_csrf_token(alice: User) -> None:
    anonymous = Client()
    assert anonymous.post(change_url(Purpose.SCORING), content_type=JSON).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(change_url(Purpose.SCORING), content_type=JSON).status_code == 403
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.SCORING)
