"""Handles: validated, unique whatever the case, changeable, and an old one held for its
member for HANDLE_RELEASE_DAYS before anyone else may take it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from profiles.models import RetiredHandle, User
from profiles.services.handles import HandleError, handle_set, profile_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("alice", "alice"), ("@Alice_Q", "alice_q"), ("  bob99 ", "bob99"), ("a" * 30, "a" * 30)],
)
def test_it_accepts_and_normalises_good_handles(alice: User, raw: str, stored: str) -> None:
    assert handle_set(member=alice, handle=raw).handle == stored
    alice.refresh_from_db()
    assert alice.handle == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Choose a handle"),
        ("ab", "3 to 30"),
        ("a" * 31, "3 to 30"),
        ("alice-q", "letters a to z"),
        ("alice.q", "letters a to z"),
        ("élise", "letters a to z"),
        ("al ice", "letters a to z"),
        ("12345", "at least one letter"),
        ("admin", "reserved"),
        ("Moderation", "reserved"),
        ("notifications", "reserved"),
    ],
)
def test_it_refuses_bad_handles_with_a_clear_reason(alice: User, raw: str, message: str) -> None:
    with pytest.raises(HandleError, match=message):
        handle_set(member=alice, handle=raw)
    alice.refresh_from_db()
    assert alice.handle is None


def test_handles_are_unique_whatever_the_case(alice: User, mallory: User) -> None:
    handle_set(member=alice, handle="alice_q")
    with pytest.raises(HandleError, match="taken"):
        handle_set(member=mallory, handle="ALICE_Q")
    mallory.refresh_from_db()
    assert mallory.handle is None


def test_an_old_handle_is_held_for_its_member_until_the_delay_ends(
    alice: User, mallory: User, settings
) -> None:
    settings.HANDLE_RELEASE_DAYS = 30
    handle_set(member=alice, handle="alice_old")
    handle_set(member=alice, handle="alice_new")
    held = RetiredHandle.objects.get(handle="alice_old")
    assert held.user == alice
    assert held.available_at - held.retired_at == timedelta(days=30)
    with pytest.raises(HandleError, match="taken"):
        handle_set(member=mallory, handle="alice_old")
    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        with pytest.raises(HandleError, match="taken"):
            handle_set(member=mallory, handle="alice_old")
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        assert handle_set(member=mallory, handle="alice_old").handle == "alice_old"
    assert not RetiredHandle.objects.filter(handle="alice_old").exists()


def test_a_member_may_take_their_own_old_handle_back(alice: User) -> None:
    handle_set(member=alice, handle="alice_old")
    handle_set(member=alice, handle="alice_new")
    handle_set(member=alice, handle="alice_old")
    alice.refresh_from_db()
    assert alice.handle == "alice_old"
    assert list(RetiredHandle.objects.values_list("handle", flat=True)) == ["alice_new"]


def test_the_old_address_redirects_to_the_new_one_during_the_hold(client, public_alice) -> None:
    handle_set(member=public_alice, handle="alice_renamed")
    response = client.get(reverse("public_profile", args=["alice_q"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("public_profile", args=["alice_renamed"])
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert client.get(reverse("public_profile", args=["alice_q"])).status_code == 404


def test_the_settings_page_refuses_a_bad_handle_and_changes_nothing(
    client, alice: User, mallory: User
) -> None:
    handle_set(member=mallory, handle="taken_one")
    client.force_login(alice)
    response = client.post(reverse("profile_settings"), {"form": "handle", "handle": "Taken_One"})
    assert response.status_code == 400
    assert "“taken_one” is taken" in response.content.decode()
    alice.refresh_from_db()
    assert alice.handle is None


def test_the_profile_shows_only_accounts_the_member_connected(alice: User, mallory: User) -> None:
    from allauth.socialaccount.models import SocialAccount

    theirs = SocialAccount.objects.create(user=mallory, provider="github", uid="666")
    with pytest.raises(HandleError, match="only accounts you connected"):
        profile_update(member=alice, display_name="Alice", bio="", shown_account_ids=[theirs.pk])
    alice.refresh_from_db()
    assert alice.display_name == "" and not alice.profile_links.exists()


def test_a_too_long_bio_is_refused_whole(alice: User) -> None:
    with pytest.raises(HandleError, match="bio"):
        profile_update(member=alice, display_name="New name", bio="x" * 161, shown_account_ids=[])
    alice.refresh_from_db()
    assert alice.display_name == ""


def test_beat_forgets_holds_that_ran_out(alice: User) -> None:
    from profiles.services.handles import retired_handles_prune

    handle_set(member=alice, handle="alice_old")
    handle_set(member=alice, handle="alice_new")
    assert retired_handles_prune() == 0
    assert retired_handles_prune(now=timezone.now() + timedelta(days=31)) == 1
    assert not RetiredHandle.objects.exists()
