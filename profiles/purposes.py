"""The purposes a member can consent to, with the exact text shown and its policy version.

The text's SHA-256 goes into every ledger row, so what a member agreed to can be shown
later word for word. Changing a text means raising its version: members are then asked
again, and nothing new is done under that purpose until they answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import models


class Purpose(models.TextChoices):
    TERMS = "terms", "Terms of the account"
    SCORING = "scoring", "Score my activity"
    PUBLIC_PROFILE = "public_profile", "Public profile"
    DISCOVERY = "discovery", "Topic directory"
    API_ACCESS = "api_access", "Third-party apps"


@dataclass(frozen=True)
class PurposeText:
    purpose: Purpose
    version: str
    title: str
    text: str
    required: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


PURPOSES: dict[str, PurposeText] = {
    p.purpose: p
    for p in (
        PurposeText(
            Purpose.TERMS,
            "2026-11",
            "Terms of the account",
            "I accept the terms of the account: Influence keeps my email address and password "
            "hash to run my account, and keeps a record of every consent I give or withdraw. "
            "I can export or delete everything at any time.",
            required=True,
        ),
        PurposeText(
            Purpose.SCORING,
            "2026-11",
            "Score my activity",
            "Compute an influence score and topics from the sources I connect or the archives "
            "I import. People who interact with me are kept only as anonymous keyed hashes. "
            "Withdrawing deletes my scores, topics and signals at once.",
        ),
        PurposeText(
            Purpose.PUBLIC_PROFILE,
            "2026-11",
            "Public profile",
            "Show my approved score and approved topics on a public page that anyone can see.",
        ),
        PurposeText(
            Purpose.DISCOVERY,
            "2026-11",
            "Topic directory",
            "List me in the topic directory so people can find me by my approved topics.",
        ),
        PurposeText(
            Purpose.API_ACCESS,
            "2026-11",
            "Third-party apps",
            "Let third-party apps that I authorise read my public score and approved topics "
            "through the API.",
        ),
    )
}

OPTIONAL_PURPOSES = [p for p in PURPOSES.values() if not p.required]
