"""Finding 8: an account whose email was never verified is never public (no profile page,
not in the directory), whatever it consented to; and it is pruned after a set time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from profiles.models import AuditAction, AuditEntry, User
from profiles.purposes import OPTIONAL_PURPOSES
from profiles.services.erasure import unverified_accounts_prune
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

EVERYTHING: list[str] = [p.purpose for p in OPTIONAL_PURPOSES]


@pytest.fixture
def eve() -> User:
    """Signed up with someone else's address and consented to everything; never verified."""
    member = make_member("victim@example.org", EVERYTHING, verified=False)
    member.handle = "victim"
    member.save(update_fields=["handle"])
    return member


def test_an_unverified_account_has_no_public_page_even_with_consent(eve: User) -> None:
    assert Client().get(reverse("public_profile", args=[eve.handle])).status_code == 404


def test_the_same_account_is_public_once_verified(eve: User) -> None:
    EmailAddress.objects.filter(user=eve).update(verified=True)
    assert Client().get(reverse("public_profile", args=[eve.handle])).status_code == 200


def test_an_unverified_account_is_not_in_the_directory(eve: User, alice: User) -> None:
    alice.handle = "alice_listed"
    alice.save(update_fields=["handle"])
    page = Client().get(reverse("directory"), {"q": "@"}).content.decode()
    page += Client().get(reverse("directory")).content.decode()
    assert "alice_listed" in page  # the control: alice is listed
    assert "victim" not in page


def test_unverified_accounts_are_pruned_after_the_set_time(
    eve: User, alice: User, settings
) -> None:
    settings.UNVERIFIED_ACCOUNT_DAYS = 7
    fresh = make_member("new@example.org", [], verified=False)
    User.objects.filter(pk__in=[eve.pk, alice.pk]).update(
        date_joined=timezone.now() - timedelta(days=8)
    )

    assert unverified_accounts_prune() == 1

    assert not User.objects.filter(pk=eve.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()  # verified: kept
    assert User.objects.filter(pk=fresh.pk).exists()  # too new to prune
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_ERASED).count() == 1


def test_the_prune_runs_from_beat(settings) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["prune-unverified-accounts"]
    assert entry["task"] == "profiles.tasks.unverified_accounts_prune"
