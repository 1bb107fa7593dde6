from __future__ import annotations

import pytest
from django.urls import reverse

from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.purposes import PURPOSES, Purpose
from profiles.selectors import consent_states, has_active_consent, users_with_active_consent
from profiles.services import ConsentError, consent_give, consent_withdraw, consents_record_signup

pytestmark = pytest.mark.django_db


def test_sign_up_records_the_terms_and_only_the_ticked_purposes() -> None:
    user = User.objects.create_user(email="new@example.org", password="x" * 12)
    consents_record_signup(user=user, granted=[Purpose.TERMS, Purpose.SCORING])

    rows = {r.purpose: r for r in ConsentRecord.objects.filter(user=user)}
    assert set(rows) == {Purpose.TERMS, Purpose.SCORING}
    scoring = rows[Purpose.SCORING]
    assert scoring.granted and scoring.method == ConsentMethod.SIGNUP
    assert scoring.policy_version == PURPOSES[Purpose.SCORING].version
    assert scoring.text_sha256 == PURPOSES[Purpose.SCORING].sha256
    assert not has_active_consent(user_id=user.pk, purpose=Purpose.PUBLIC_PROFILE)


def test_sign_up_without_the_terms_is_refused_and_records_nothing() -> None:
    user = User.objects.create_user(email="new@example.org", password="x" * 12)
    with pytest.raises(ConsentError, match="terms"):
        consents_record_signup(user=user, granted=[Purpose.SCORING])
    assert not ConsentRecord.objects.filter(user=user).exists()


def test_the_current_state_follows_the_latest_ledger_row(alice: User) -> None:
    consent_withdraw(user=alice, purpose=Purpose.DISCOVERY)
    assert not consent_states(user=alice)[Purpose.DISCOVERY].active
    consent_give(user=alice, purpose=Purpose.DISCOVERY)
    assert consent_states(user=alice)[Purpose.DISCOVERY].active
    assert ConsentRecord.objects.filter(user=alice, purpose=Purpose.DISCOVERY).count() == 3


def test_the_scorable_queryset_holds_only_members_with_active_consent(
    alice: User, bob: User, carol: User
) -> None:
    assert list(users_with_active_consent(Purpose.SCORING)) == [alice]


def test_withdrawing_twice_is_refused_with_a_clear_message(carol: User) -> None:
    with pytest.raises(ConsentError, match="not granted"):
        consent_withdraw(user=carol, purpose=Purpose.SCORING)
    assert ConsentRecord.objects.filter(user=carol, purpose=Purpose.SCORING).count() == 2


def test_the_terms_cannot_be_withdrawn_from_the_consent_centre(alice: User) -> None:
    with pytest.raises(ConsentError, match="delete the account"):
        consent_withdraw(user=alice, purpose=Purpose.TERMS)


def test_the_consent_centre_grants_and_withdraws_in_one_post_each(client, bob: User) -> None:
    client.force_login(bob)
    url = reverse("consent_change", args=[Purpose.SCORING])
    client.post(url, {"action": "grant"})
    assert has_active_consent(user_id=bob.pk, purpose=Purpose.SCORING)
    response = client.post(url, {"action": "withdraw"}, follow=True)
    assert not has_active_consent(user_id=bob.pk, purpose=Purpose.SCORING)
    assert b"Withdrawn: Score my activity" in response.content


def test_the_consent_centre_refuses_get_and_anonymous_changes(client, bob: User) -> None:
    url = reverse("consent_change", args=[Purpose.SCORING])
    assert client.post(url, {"action": "grant"}).status_code == 302  # to the login page
    client.force_login(bob)
    assert client.get(url).status_code == 405
    assert not has_active_consent(user_id=bob.pk, purpose=Purpose.SCORING)


def test_a_consent_post_without_a_csrf_token_changes_nothing(bob: User) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post(reverse("consent_change", args=[Purpose.SCORING]), {"action": "grant"})
    assert response.status_code == 403
    assert not has_active_consent(user_id=bob.pk, purpose=Purpose.SCORING)
