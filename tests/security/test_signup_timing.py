"""Finding 9: signing up with an email that already has an account does the same work as
with a new one (one password hash, one email through the same path), so the time taken
does not tell whether an address is a member. Counted, not timed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORM = {
    "password1": "a long enough passphrase 42",
    "password2": "a long enough passphrase 42",
    "age_confirmed": "on",
    "consent_terms": "on",
}


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    encoded = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).encoded += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings: Any) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.ACCOUNT_RATE_LIMITS = False  # two sign-ups in a row are the point here
    CountingHasher.encoded = 0
    return CountingHasher


def sign_up(email: str) -> int:
    response = Client().post(reverse("account_signup"), {**FORM, "email": email})
    assert response.status_code == 302
    return response.status_code


def test_an_existing_email_costs_the_same_hashes_and_mails_as_a_new_one(
    counting: type[CountingHasher], mailoutbox: list
) -> None:
    sign_up("first@example.org")
    new = (counting.encoded, len(mailoutbox))

    counting.encoded = 0
    mailoutbox.clear()
    sign_up("first@example.org")  # the same address again
    existing = (counting.encoded, len(mailoutbox))

    assert new == (1, 1)
    assert existing == new
