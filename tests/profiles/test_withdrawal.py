"""What withdrawing each purpose does, at once and in the same transaction (invariant 5, 6)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from profiles import hooks
from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import api_access as api_access_module
from profiles.services import consent_give, consent_withdraw
from scoring.models import Score, ScoreSnapshot, ScoringState
from signals.models import Engagement, Follow, ImportJob, Post, Source
from tests.profiles.conftest import give_score

pytestmark = pytest.mark.django_db


def public_url(user: User) -> str:
    """The member's public address, giving them a handle first (the page needs one)."""
    if not user.handle:
        from profiles.services.handles import handle_set

        handle_set(member=user, handle=user.email.split("@")[0] + "_q")
    return reverse("public_profile", args=[user.handle])


# --- scoring ----------------------------------------------------------------------------


def test_withdrawing_scoring_deletes_every_scoring_row_of_the_member(
    alice: User, mallory: User
) -> None:
    give_score(alice)
    give_score(mallory)
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    for model in (Score, ScoreSnapshot, Post, Engagement, Follow, ScoringState, Source, ImportJob):
        assert not model.objects.filter(user=alice).exists(), model.__name__
    assert Score.objects.filter(user=mallory).exists()  # nobody else's


def test_a_failing_effect_rolls_the_withdrawal_back(alice: User, monkeypatch) -> None:
    give_score(alice)

    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # The documented door a higher app acts through (profiles.hooks), given a failing receiver.
    hooks.scoring_withdrawn.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            consent_withdraw(user=alice, purpose=Purpose.SCORING)
    finally:
        hooks.scoring_withdrawn.disconnect(broken)
    assert alice.consent_records.filter(purpose=Purpose.SCORING).count() == 1  # no new row
    assert Score.objects.filter(user=alice).exists()  # and the deletions before it undone


# --- public_profile ---------------------------------------------------------------------


def test_the_public_page_shows_the_score_but_nothing_private(client, alice: User) -> None:
    score = give_score(alice)
    response = client.get(public_url(alice))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="public-score">{score.value}<' in page
    for private in (alice.email, "alice@example.social"):  # the imported handle is not shown
        assert private not in page


def test_the_public_page_answers_404_at_once_after_withdrawal(client, alice: User) -> None:
    give_score(alice)
    assert client.get(public_url(alice)).status_code == 200
    consent_withdraw(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    assert client.get(public_url(alice)).status_code == 404
    consent_give(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    assert client.get(public_url(alice)).status_code == 200


def test_a_page_without_consent_looks_exactly_like_no_page(client, bob: User) -> None:
    hidden = client.get(public_url(bob))
    missing = client.get(reverse("public_profile", args=["no_such_member"]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_the_public_page_shows_no_score_once_scoring_is_withdrawn(client, alice: User) -> None:
    give_score(alice)
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    page = client.get(public_url(alice)).content.decode()
    assert 'data-testid="public-no-score"' in page
    assert 'data-testid="public-score"' not in page


def test_the_public_page_is_paused_by_a_policy_change_until_the_member_answers(
    client, alice: User, new_policy
) -> None:
    new_policy(Purpose.PUBLIC_PROFILE)
    assert client.get(public_url(alice)).status_code == 404


def test_the_consent_centre_links_the_public_page_only_while_granted(client, alice: User) -> None:
    client.force_login(alice)
    assert public_url(alice) in client.get(reverse("consent_centre")).content.decode()
    consent_withdraw(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    assert public_url(alice) not in client.get(reverse("consent_centre")).content.decode()


# --- discovery --------------------------------------------------------------------------


def test_the_directory_lists_only_members_who_grant_discovery(
    client, alice: User, bob: User, carol: User
) -> None:
    for user, name in ((alice, "Alice Q"), (bob, "Bob Q"), (carol, "Carol Q")):
        user.display_name = name
        user.save(update_fields=["display_name"])
        public_url(user)  # a handle each: the directory lists members by handle
    page = client.get(reverse("directory")).content.decode()
    assert "Alice Q" in page
    assert "Bob Q" not in page and "Carol Q" not in page
    assert page.count('data-testid="directory-entry"') == 1


def test_withdrawing_discovery_takes_the_member_out_of_the_directory_at_once(
    client, alice: User
) -> None:
    public_url(alice)
    assert client.get(reverse("directory")).content.decode().count("directory-entry") == 1
    consent_withdraw(user=alice, purpose=Purpose.DISCOVERY)
    assert "directory-entry" not in client.get(reverse("directory")).content.decode()


def test_the_directory_links_only_to_public_pages_that_answer(client, alice: User) -> None:
    assert public_url(alice) in client.get(reverse("directory")).content.decode()
    consent_withdraw(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    page = client.get(reverse("directory")).content.decode()
    assert "directory-entry" in page and public_url(alice) not in page


def test_the_directory_costs_the_same_queries_for_many_members(
    client, alice: User, django_assert_max_num_queries
) -> None:
    from tests.conftest import make_member

    for n in range(20):
        public_url(
            make_member(f"listed{n}@example.org", [Purpose.DISCOVERY, Purpose.PUBLIC_PROFILE])
        )
    with django_assert_max_num_queries(5):
        client.get(reverse("directory"))


# --- api_access -------------------------------------------------------------------------


def test_withdrawing_api_access_runs_every_registered_revoker_in_the_transaction(
    alice: User, monkeypatch
) -> None:
    calls: list[int] = []

    def revoke(*, user_id: int) -> int:
        calls.append(user_id)
        return 2

    monkeypatch.setattr(api_access_module, "REVOKERS", [revoke])
    consent_withdraw(user=alice, purpose=Purpose.API_ACCESS)
    assert calls == [alice.pk]


def test_a_failing_revoker_keeps_api_access_granted(alice: User, monkeypatch) -> None:
    from profiles.selectors import has_active_consent

    def revoke(*, user_id: int) -> int:
        raise RuntimeError("token store unreachable")

    monkeypatch.setattr(api_access_module, "REVOKERS", [revoke])
    with pytest.raises(RuntimeError):
        consent_withdraw(user=alice, purpose=Purpose.API_ACCESS)
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.API_ACCESS)


def test_the_withdrawal_message_says_what_happened(client, alice: User) -> None:
    client.force_login(alice)
    for purpose, words in [
        (Purpose.PUBLIC_PROFILE, "Your public page is offline."),
        (Purpose.DISCOVERY, "You are no longer listed in the directory."),
        (Purpose.API_ACCESS, "Third-party access was revoked."),
    ]:
        response = client.post(
            reverse("consent_change", args=[purpose]), {"action": "withdraw"}, follow=True
        )
        assert words in response.content.decode()


# --- topics on the public page and in the directory -------------------------------------


def add_topics(user: User) -> None:
    from scoring.models import Topic, TopicStatus

    Topic.objects.create(user=user, label="privacyqux", status=TopicStatus.APPROVED)
    Topic.objects.create(user=user, label="suggestedqux", status=TopicStatus.SUGGESTED)
    Topic.objects.create(user=user, label="rejectedqux", status=TopicStatus.REJECTED)


def test_the_public_page_shows_only_approved_topics(client, alice: User) -> None:
    give_score(alice)
    add_topics(alice)
    page = client.get(public_url(alice)).content.decode()
    assert "privacyqux" in page
    assert "suggestedqux" not in page and "rejectedqux" not in page


def test_the_directory_finds_members_by_approved_topic_only(
    client, alice: User, mallory: User
) -> None:
    add_topics(alice)
    consent_give(user=mallory, purpose=Purpose.DISCOVERY)
    public_url(alice), public_url(mallory)
    listing = client.get(reverse("directory")).content.decode()
    assert listing.count('data-testid="directory-entry"') == 2
    assert "privacyqux" in listing and "suggestedqux" not in listing
    found = client.get(reverse("directory"), {"topic": "PrivacyQux"}).content.decode()
    assert found.count('data-testid="directory-entry"') == 1
    assert public_url(alice) in found
    hidden = client.get(reverse("directory"), {"topic": "suggestedqux"}).content.decode()
    assert "directory-entry" not in hidden
