"""Consent receipts: Kantara Consent Receipt v1.1-shaped JSON, signed as a compact JWS.

Every ledger row gets one receipt when it is written. The signature is EdDSA (Ed25519);
the key comes from ``RECEIPT_SIGNING_KEY`` (on the embedded default it is generated into
``var/``), and ``/.well-known/jwks.json`` publishes its public half together with retired
keys from ``RECEIPT_RETIRED_KEYS``. A receipt verifies only if it is signed by a published
key and its consent time falls before that key's retirement, so a leaked old key cannot
mint receipts for later events.

Kantara v1.1 records a consent given; it has no field for a withdrawal. Each receipt says
what happened in the extension member ``influence`` (``event``: granted or withdrawn, the
purpose key, its policy version and the SHA-256 of the exact text shown).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from profiles.purposes import Purpose, PurposeText

if TYPE_CHECKING:
    from profiles.models import ConsentRecord

RECEIPT_VERSION = "KI-CR-v1.1.0"
ALGORITHM = "EdDSA"

# Kantara v1.1 purpose categories, PII categories, and what ends each purpose.
_RECEIPT_TERMS: dict[str, dict[str, Any]] = {
    Purpose.TERMS: {
        "purposeCategory": ["1 - Core Function"],
        "piiCategory": ["2 - Contact", "12 - Account Information"],
        "termination": "When the member deletes the account.",
        "thirdPartyDisclosure": False,
    },
    Purpose.SCORING: {
        "purposeCategory": ["2 - Contracted Service"],
        "piiCategory": ["4 - Communications/Social"],
        "termination": "On withdrawal: scores, topics and signals are deleted at once.",
        "thirdPartyDisclosure": False,
    },
    Purpose.PUBLIC_PROFILE: {
        "purposeCategory": ["13 - Other: public profile page"],
        "piiCategory": ["4 - Communications/Social"],
        "termination": "On withdrawal: the public page answers 404 at once.",
        "thirdPartyDisclosure": False,
    },
    Purpose.DISCOVERY: {
        "purposeCategory": ["13 - Other: topic directory"],
        "piiCategory": ["4 - Communications/Social"],
        "termination": "On withdrawal: the member leaves the directory at once.",
        "thirdPartyDisclosure": False,
    },
    Purpose.API_ACCESS: {
        "purposeCategory": ["10 - 3rd Party Sharing for Core Function"],
        "piiCategory": ["4 - Communications/Social"],
        "termination": "On withdrawal: third-party access is revoked at once.",
        "thirdPartyDisclosure": True,
        "thirdPartyName": "Third-party apps the member authorises",
    },
}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c in text for c in "=+/ \n"):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- Keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    public: Ed25519PublicKey
    retired_at: datetime | None = None

    def jwk(self) -> dict[str, str]:
        return {**_public_members(self.public), "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def _public_members(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def key_id(public: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of the public JWK: stable, and derived from the key alone."""
    members = _public_members(public)
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


@functools.cache
def _signing_key(seed: str) -> Ed25519PrivateKey:
    try:
        raw = b64url_decode(seed)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            "Environment variable RECEIPT_SIGNING_KEY must be base64url of 32 random bytes "
            '(python -c "import secrets; print(secrets.token_urlsafe(32))").'
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.RECEIPT_SIGNING_KEY)


@functools.cache
def _retired_keys(raw: str) -> tuple[VerificationKey, ...]:
    if not raw:
        return ()
    problem = (
        "Environment variable RECEIPT_RETIRED_KEYS must be a JSON list of objects with "
        '"x" (the base64url public key) and "retired_at" (an ISO 8601 time with a zone)'
    )
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{problem}: {exc}") from exc
    if not isinstance(items, list):
        raise ImproperlyConfigured(f"{problem}.")
    keys = []
    for item in items:
        try:
            public = Ed25519PublicKey.from_public_bytes(b64url_decode(item["x"]))
            retired_at = datetime.fromisoformat(item["retired_at"])
        except (TypeError, KeyError, ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(f"{problem}; got {item!r}.") from exc
        if retired_at.tzinfo is None:
            raise ImproperlyConfigured(f"{problem}; {item['retired_at']!r} has no time zone.")
        keys.append(VerificationKey(kid=key_id(public), public=public, retired_at=retired_at))
    return tuple(keys)


def verification_keys() -> dict[str, VerificationKey]:
    """The current key and the retired ones, by key id."""
    current = signing_key().public_key()
    keys = {key_id(current): VerificationKey(kid=key_id(current), public=current)}
    for key in _retired_keys(settings.RECEIPT_RETIRED_KEYS):
        keys.setdefault(key.kid, key)
    return keys


def check_keys() -> None:
    """Parse the configured keys now, so a malformed one stops start-up naming its variable."""
    verification_keys()


def jwks() -> dict[str, list[dict[str, str]]]:
    return {"keys": [key.jwk() for key in verification_keys().values()]}


# --- Receipts ---------------------------------------------------------------------------


def receipt_payload(*, record: ConsentRecord, text: PurposeText, principal_id: str) -> dict:
    """The receipt for one ledger event, shaped after Kantara Consent Receipt v1.1."""
    timestamp = int(record.created_at.timestamp())
    controller: dict[str, Any] = {
        "piiController": settings.CONTROLLER_NAME,
        "contact": settings.CONTROLLER_NAME,
        "email": settings.CONTROLLER_EMAIL,
        "piiControllerUrl": settings.SITE_URL,
    }
    if settings.CONTROLLER_ADDRESS or settings.CONTROLLER_COUNTRY:
        controller["address"] = {
            "streetAddress": settings.CONTROLLER_ADDRESS,
            "addressCountry": settings.CONTROLLER_COUNTRY,
        }
    event = "granted" if record.granted else "withdrawn"
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": settings.CONSENT_JURISDICTION,
        "consentTimestamp": timestamp,
        "collectionMethod": record.get_method_display(),
        "consentReceiptID": str(record.receipt_id),
        "publicKey": _public_members(signing_key().public_key())["x"],
        "language": "en",
        "piiPrincipalId": principal_id,
        "piiControllers": [controller],
        "policyUrl": f"{settings.SITE_URL}{reverse('privacy')}#{record.purpose}",
        "services": [
            {
                "service": f"{settings.CONTROLLER_NAME}: {text.title}",
                "purposes": [
                    {
                        "purpose": text.text,
                        "consentType": "EXPLICIT",
                        "primaryPurpose": text.required,
                        **_RECEIPT_TERMS[record.purpose],
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "iss": settings.SITE_URL,
        "iat": timestamp,
        "influence": {
            "event": event,
            "purpose": record.purpose,
            "policyVersion": record.policy_version,
            "textSha256": record.text_sha256,
        },
    }


def receipt_sign(payload: dict) -> str:
    """A compact JWS (RFC 7515) of the payload, signed with the current Ed25519 key."""
    key = signing_key()
    header = {"alg": ALGORITHM, "kid": key_id(key.public_key()), "typ": "JWT"}
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
        for part in (header, payload)
    )
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True)
class Verification:
    genuine: bool
    reason: str
    receipt: dict | None = None
    kid: str | None = None


def receipt_verify(token: str) -> Verification:
    """Whether a compact JWS is a genuine receipt: our key, intact, not after the key retired."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return Verification(False, "This is not a signed receipt (a compact JWS has 3 parts).")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload_bytes = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return Verification(False, "This receipt is malformed: a part is not base64url JSON.")
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        return Verification(False, "This receipt is not signed with EdDSA (Ed25519).")
    kid = header.get("kid")
    key = verification_keys().get(kid) if isinstance(kid, str) else None
    if key is None:
        return Verification(
            False, "This receipt was not signed by a key Influence publishes.", kid=kid
        )
    try:
        key.public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        return Verification(
            False,
            "The signature does not match: the receipt was changed after it was signed, "
            "or signed with another key.",
            kid=kid,
        )
    try:
        receipt = json.loads(payload_bytes)
        when = datetime.fromtimestamp(int(receipt["consentTimestamp"]), tz=UTC)
    except (ValueError, TypeError, KeyError):
        return Verification(False, "The signed content is not a consent receipt.", kid=kid)
    if receipt.get("version") != RECEIPT_VERSION:
        return Verification(False, "The signed content is not a consent receipt.", kid=kid)
    if key.retired_at is not None and when >= key.retired_at:
        return Verification(
            False,
            f"Signed with a key retired on {key.retired_at:%Y-%m-%d %H:%M} UTC, before the "
            "time the receipt claims; it cannot be genuine.",
            receipt=receipt,
            kid=kid,
        )
    note = ""
    if key.retired_at is not None:
        note = f" (a retired key, valid for receipts before {key.retired_at:%Y-%m-%d})"
    return Verification(
        True,
        f"Genuine: signed by Influence's key {kid}{note}.",
        receipt=receipt,
        kid=kid,
    )


def receipt_tokens(text: str) -> list[str]:
    """The JWS tokens in a receipt file: a bare token, one receipt's JSON, or a download of all."""
    text = text.strip()
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        return [text] if text else []
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = data.get("receipts", [data])
    if not isinstance(data, list):
        return []
    return [
        item["jws"] for item in data if isinstance(item, dict) and isinstance(item.get("jws"), str)
    ]
