"""A changed purpose text means asking again, and doing nothing new until the member answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.purposes import PURPOSES, Purpose
from profiles.selectors import has_active_consent
from scoring.models import Score
from scoring.services.runs import scorable_members
from signals.models import Engagement
from tests.profiles.conftest import give_score

pytestmark = pytest.mark.django_db

Publish = Callable[[str], None]


def test_a_member_is_asked_again_at_their_next_visit(client, alice: User, new_policy) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reconsent") + "?next=%2Fdashboard%2F"
    page = client.get(response["Location"]).content.decode()
    assert PURPOSES[Purpose.SCORING].text in page
    assert "2099-01" in page
    assert 'name="consent_scoring"' in page
    assert 'name="consent_discovery"' not in page  # unchanged purposes are not asked again
    assert "checked" not in page


def test_a_member_who_never_granted_the_changed_purpose_is_not_asked(
    client, bob: User, new_policy: Publish
) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(bob)
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_consent_centre_and_sign_out_stay_reachable_while_asked(
    client, alice: User, new_policy: Publish
) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    assert client.get(reverse("consent_centre")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_until_the_member_answers_scoring_pauses(alice: User, new_policy: Publish) -> None:
    score = give_score(alice)
    new_policy(Purpose.SCORING)

    assert not has_active_consent(user_id=alice.pk, purpose=Purpose.SCORING)
    assert alice not in scorable_members()  # the one definition of who may be scored
    # Paused, not withdrawn: nothing is deleted until the member says no.
    assert Score.objects.get(user=alice).run_id == score.run_id


def test_answering_yes_renews_the_purpose_under_the_new_version(
    client, alice: User, new_policy: Publish
) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    response = client.post(reverse("reconsent"), {"consent_scoring": "yes", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"

    latest = ConsentRecord.objects.filter(user=alice, purpose=Purpose.SCORING).last()
    assert latest is not None
    assert latest.granted and latest.method == ConsentMethod.RECONSENT
    assert latest.policy_version == "2099-01"
    assert latest.text_sha256 == PURPOSES[Purpose.SCORING].sha256
    assert alice in scorable_members()
    assert client.get(reverse("dashboard")).status_code == 200


def test_answering_no_withdraws_the_purpose_with_its_effects(
    client, alice: User, new_policy: Publish
) -> None:
    give_score(alice)
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    client.post(reverse("reconsent"), {"consent_scoring": "no"})

    latest = ConsentRecord.objects.filter(user=alice, purpose=Purpose.SCORING).last()
    assert latest is not None and not latest.granted
    assert latest.method == ConsentMethod.RECONSENT
    assert not Score.objects.filter(user=alice).exists()
    assert not Engagement.objects.filter(user=alice).exists()


def test_a_prompt_without_an_answer_is_shown_again_with_an_error(
    client, alice: User, new_policy: Publish
) -> None:
    new_policy(Purpose.SCORING)
    new_policy(Purpose.DISCOVERY)
    client.force_login(alice)
    before = ConsentRecord.objects.count()
    response = client.post(reverse("reconsent"), {"consent_scoring": "yes"})
    assert response.status_code == 200
    assert "Answer “Topic directory”." in response.content.decode()
    assert ConsentRecord.objects.count() == before


def test_a_second_submission_of_the_same_answers_changes_nothing(
    client, alice: User, new_policy: Publish
) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    client.post(reverse("reconsent"), {"consent_scoring": "yes"})
    count = ConsentRecord.objects.count()
    response = client.post(reverse("reconsent"), {"consent_scoring": "no"}, follow=True)
    assert "already answered" in response.content.decode()
    assert ConsentRecord.objects.count() == count
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.SCORING)


def test_the_new_terms_cannot_be_refused_without_deleting_the_account(
    client, alice: User, new_policy: Publish
) -> None:
    new_policy(Purpose.TERMS)
    client.force_login(alice)
    count = ConsentRecord.objects.count()
    response = client.post(reverse("reconsent"), {"consent_terms": "no"}, follow=True)
    assert "delete your account" in response.content.decode()
    assert ConsentRecord.objects.count() == count
    response = client.post(reverse("reconsent"), {"consent_terms": "yes"})
    assert response.status_code == 302
    assert ConsentRecord.objects.filter(user=alice, method=ConsentMethod.RECONSENT).count() == 1


def test_a_foreign_next_address_is_ignored(client, alice: User, new_policy: Publish) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(alice)
    response = client.post(
        reverse("reconsent"), {"consent_scoring": "yes", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_a_new_directory_policy_takes_members_out_of_the_directory_until_they_answer(
    client, new_policy: Publish
) -> None:
    from profiles.services.handles import handle_set
    from tests.conftest import make_member

    member = make_member("listed@example.org", [Purpose.DISCOVERY, Purpose.PUBLIC_PROFILE])
    handle_set(member=member, handle="listed_q")
    for query in ("", "@list"):  # the page (cached for visitors) and its compiled query
        assert "@listed_q" in client.get(reverse("directory"), {"q": query}).content.decode()

    new_policy(Purpose.DISCOVERY)  # a deploy with a new text: nobody has answered it yet
    for query in ("", "@list"):
        assert "@listed_q" not in client.get(reverse("directory"), {"q": query}).content.decode()
