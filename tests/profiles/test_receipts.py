"""Signed consent receipts: one per ledger event, verifiable by anyone, and only if genuine."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.pseudonyms import member_pseudonym
from profiles.purposes import PURPOSES, Purpose
from profiles.receipts import (
    b64url_decode,
    b64url_encode,
    check_keys,
    key_id,
    receipt_sign,
    receipt_verify,
    signing_key,
)
from profiles.services import consent_give, consent_withdraw

pytestmark = pytest.mark.django_db


def decode(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def public_x(seed: str, settings) -> str:
    settings.RECEIPT_SIGNING_KEY = seed
    return b64url_encode(signing_key().public_key().public_bytes_raw())


def test_every_ledger_event_carries_a_genuine_receipt(bob: User) -> None:
    consent_give(user=bob, purpose=Purpose.SCORING)
    consent_withdraw(user=bob, purpose=Purpose.SCORING)
    records = list(ConsentRecord.objects.filter(user=bob))
    assert [r.method for r in records] == [
        ConsentMethod.SIGNUP,
        ConsentMethod.CONSENT_CENTRE,
        ConsentMethod.CONSENT_CENTRE,
    ]
    for record in records:
        result = receipt_verify(record.receipt)
        assert result.genuine, result.reason
        assert result.receipt is not None
        assert result.receipt["consentReceiptID"] == str(record.receipt_id)
    assert [decode(r.receipt)["influence"]["event"] for r in records] == [
        "granted",
        "granted",
        "withdrawn",
    ]


def test_a_receipt_has_the_kantara_fields_and_no_direct_identifier(alice: User) -> None:
    record = ConsentRecord.objects.get(user=alice, purpose=Purpose.SCORING)
    receipt = decode(record.receipt)
    for field in [
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
    ]:
        assert field in receipt, field
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentTimestamp"] == int(record.created_at.timestamp())
    assert receipt["collectionMethod"] == "Sign-up form"
    assert receipt["piiPrincipalId"] == member_pseudonym(alice.pk)
    assert receipt["piiControllers"][0]["piiController"]
    assert receipt["policyUrl"].endswith("/privacy/#scoring")
    purpose = receipt["services"][0]["purposes"][0]
    assert purpose["purpose"] == PURPOSES[Purpose.SCORING].text
    assert purpose["consentType"] == "EXPLICIT"
    assert receipt["influence"] == {
        "event": "granted",
        "purpose": "scoring",
        "policyVersion": record.policy_version,
        "textSha256": record.text_sha256,
    }
    assert alice.email not in record.receipt and alice.email not in json.dumps(receipt)


def test_a_tampered_payload_fails(alice: User) -> None:
    token = ConsentRecord.objects.get(user=alice, purpose=Purpose.SCORING).receipt
    header, payload, signature = token.split(".")
    receipt = decode(token)
    receipt["influence"]["event"] = "withdrawn"
    forged = b64url_encode(json.dumps(receipt, separators=(",", ":")).encode())
    result = receipt_verify(f"{header}.{forged}.{signature}")
    assert not result.genuine
    assert "signature does not match" in result.reason


def test_a_receipt_signed_with_a_key_we_never_published_fails(alice: User, settings) -> None:
    payload = decode(ConsentRecord.objects.get(user=alice, purpose=Purpose.SCORING).receipt)
    real_seed = settings.RECEIPT_SIGNING_KEY
    settings.RECEIPT_SIGNING_KEY = secrets.token_urlsafe(32)
    stranger = receipt_sign(payload)
    settings.RECEIPT_SIGNING_KEY = real_seed
    result = receipt_verify(stranger)
    assert not result.genuine and "not signed by a key Influence publishes" in result.reason


def test_a_forged_signature_under_our_key_id_fails(alice: User, settings) -> None:
    payload = decode(ConsentRecord.objects.get(user=alice, purpose=Purpose.SCORING).receipt)
    ours = key_id(signing_key().public_key())
    real_seed = settings.RECEIPT_SIGNING_KEY
    settings.RECEIPT_SIGNING_KEY = secrets.token_urlsafe(32)
    _, body, signature = receipt_sign(payload).split(".")
    settings.RECEIPT_SIGNING_KEY = real_seed
    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": ours}).encode())
    result = receipt_verify(f"{header}.{body}.{signature}")
    assert not result.genuine and "signature does not match" in result.reason


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256"])
def test_a_receipt_claiming_another_algorithm_is_refused(alice: User, alg: str) -> None:
    token = ConsentRecord.objects.get(user=alice, purpose=Purpose.SCORING).receipt
    _, body, signature = token.split(".")
    header = b64url_encode(json.dumps({"alg": alg, "kid": "x"}).encode())
    assert not receipt_verify(f"{header}.{body}.{signature}").genuine
    assert not receipt_verify(f"{header}.{body}.").genuine


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "a.b", "{}", "x" * 5000 + ".y.z"])
def test_malformed_receipts_are_refused_with_a_reason(junk: str) -> None:
    result = receipt_verify(junk)
    assert not result.genuine and result.reason


def test_a_rotated_key_keeps_old_receipts_genuine_until_its_retirement(bob: User, settings) -> None:
    old_seed, new_seed = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    old_x = public_x(old_seed, settings)
    settings.RECEIPT_SIGNING_KEY = old_seed
    token = consent_give(user=bob, purpose=Purpose.DISCOVERY).receipt
    issued = datetime.fromtimestamp(decode(token)["consentTimestamp"], tz=UTC)

    settings.RECEIPT_SIGNING_KEY = new_seed
    later = (issued + timedelta(days=1)).isoformat()
    settings.RECEIPT_RETIRED_KEYS = json.dumps([{"x": old_x, "retired_at": later}])
    result = receipt_verify(token)
    assert result.genuine and "retired key" in result.reason
    assert (
        consent_withdraw(user=bob, purpose=Purpose.DISCOVERY).receipt.split(".")[0]
        != (token.split(".")[0])
    )  # new events are signed with the new key

    earlier = (issued - timedelta(seconds=1)).isoformat()
    settings.RECEIPT_RETIRED_KEYS = json.dumps([{"x": old_x, "retired_at": earlier}])
    expired = receipt_verify(token)
    assert not expired.genuine and "retired" in expired.reason

    settings.RECEIPT_RETIRED_KEYS = ""
    forgotten = receipt_verify(token)
    assert not forgotten.genuine and "not signed by a key" in forgotten.reason


def test_the_published_keys_alone_verify_a_receipt(client, alice: User, settings) -> None:
    retired_x = public_x(secrets.token_urlsafe(32), settings)
    settings.RECEIPT_SIGNING_KEY = secrets.token_urlsafe(32)
    settings.RECEIPT_RETIRED_KEYS = json.dumps(
        [{"x": retired_x, "retired_at": "2026-01-01T00:00:00+00:00"}]
    )
    token = consent_withdraw(user=alice, purpose=Purpose.DISCOVERY).receipt

    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = {k["kid"]: k for k in response.json()["keys"]}
    assert len(keys) == 2
    header = json.loads(b64url_decode(token.split(".")[0]))
    jwk = keys[header["kid"]]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert "d" not in jwk  # never the private part
    signing_input, signature = token.rsplit(".", 1)
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    public.verify(b64url_decode(signature), signing_input.encode())  # raises if not genuine


def test_a_member_downloads_all_their_receipts_as_json(client, alice: User) -> None:
    client.force_login(alice)
    response = client.get(reverse("consent_receipts"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    receipts = json.loads(response.content)["receipts"]
    assert len(receipts) == ConsentRecord.objects.filter(user=alice).count() == 5
    for item in receipts:
        assert receipt_verify(item["jws"]).genuine
        assert item["receipt"]["consentReceiptID"] == item["consentReceiptID"]


def test_a_member_downloads_one_receipt_and_no_one_else_can(
    client, alice: User, mallory: User
) -> None:
    record = ConsentRecord.objects.filter(user=alice).first()
    assert record is not None
    url = reverse("consent_receipt", args=[record.receipt_id])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(mallory)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert json.loads(response.content)["jws"] == record.receipt


def test_the_verify_page_says_whether_a_receipt_is_genuine(client, alice: User) -> None:
    token = ConsentRecord.objects.filter(user=alice).first().receipt  # type: ignore[union-attr]
    page = client.post(reverse("receipt_verify"), {"receipt": token}).content.decode()
    assert "Genuine" in page and "Not genuine" not in page

    header, body, signature = token.split(".")
    tampered = f"{header}.{body[:-4]}AAAA.{signature}"
    page = client.post(reverse("receipt_verify"), {"receipt": tampered}).content.decode()
    assert "Not genuine" in page


def test_the_verify_page_reads_the_downloaded_file(client, alice: User) -> None:
    client.force_login(alice)
    download = client.get(reverse("consent_receipts")).content
    client.logout()
    upload = SimpleUploadedFile("receipts.json", download, content_type="application/json")
    page = client.post(reverse("receipt_verify"), {"file": upload}).content.decode()
    assert page.count('data-testid="verify-result"') == 5
    assert page.count("Genuine: signed by") == 5


def test_the_verify_page_asks_for_a_receipt_when_given_none(client) -> None:
    response = client.post(reverse("receipt_verify"), {"receipt": "  "})
    assert "Paste a receipt or choose a receipt file." in response.content.decode()


def test_the_verify_command_accepts_genuine_receipts_and_refuses_altered_ones(
    client, alice: User, tmp_path: Path, capsys
) -> None:
    client.force_login(alice)
    download = tmp_path / "receipts.json"
    download.write_bytes(client.get(reverse("consent_receipts")).content)
    call_command("verify_receipt", str(download))
    out = capsys.readouterr().out
    assert out.count("Genuine") == 5

    data = json.loads(download.read_text())
    token = data["receipts"][0]["jws"]
    header, body, signature = token.split(".")
    receipt = json.loads(b64url_decode(body))
    receipt["piiPrincipalId"] = "someone-else"
    body = base64.urlsafe_b64encode(json.dumps(receipt).encode()).rstrip(b"=").decode()
    data["receipts"][0]["jws"] = f"{header}.{body}.{signature}"
    download.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="1 of 5 receipts are not genuine"):
        call_command("verify_receipt", str(download))
    assert "NOT GENUINE" in capsys.readouterr().out


def test_the_verify_command_names_a_file_without_receipts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(CommandError, match="No consent receipt found"):
        call_command("verify_receipt", str(empty))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECEIPT_SIGNING_KEY", "too-short"),
        ("RECEIPT_RETIRED_KEYS", "not json"),
        ("RECEIPT_RETIRED_KEYS", '[{"x": "abc"}]'),
        ("RECEIPT_RETIRED_KEYS", '[{"x": "' + "A" * 43 + '", "retired_at": "2026-01-01"}]'),
    ],
)
def test_a_malformed_key_setting_is_refused_naming_the_variable(
    settings, name: str, value: str
) -> None:
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        check_keys()


def test_a_malformed_signing_key_stops_start_up_naming_it(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent.parent
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={**env, "VAR_DIR": str(tmp_path), "RECEIPT_SIGNING_KEY": "not-a-key"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Environment variable RECEIPT_SIGNING_KEY must be" in result.stderr
