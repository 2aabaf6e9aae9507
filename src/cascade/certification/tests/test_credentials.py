"""Open Badges 3.0 credentials: keys, the credential's shape, the VC-JWT, verification (fresh,
tampered, expired, not yet valid, revoked, suspended, foreign keys, garbage), the status lists,
the certificate PDF and the `credential verify` command."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import DatabaseError
from django.template.loader import render_to_string
from jwcrypto import jwk as jwcrypto_jwk

from cascade.certification import credentials, verification
from cascade.certification.certificate_pdf import TEMPLATE, certificate_context, certificate_pdf
from cascade.certification.credentials import (
    credential_build,
    credential_document,
    credential_issue,
    issuer_jwks,
    signing_key_current,
)
from cascade.certification.models import Certification, CertificationStatus, Level, SigningKey
from cascade.certification.status_list import (
    MIN_BITS,
    encode_bits,
    status_bit,
    status_list_credential,
)
from cascade.certification.verification import (
    NOT_READABLE,
    SIGNATURE_MISMATCH,
    VALID,
    Check,
    credential_verify,
)
from cascade.delivery.tests.factories import make_course
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SITE = "https://cascade.example.org"
AWARDED = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
EXPIRES = datetime(2027, 3, 1, 9, 30, 15, tzinfo=UTC)
_index = itertools.count(1000)


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.CASCADE_ORG_NAME = "Northwind Health"


def make_certification(**kw: Any) -> Certification:
    """A certification with its credential issued, as the award service will leave it."""
    fields: dict[str, Any] = {
        "person": kw.pop("person", None) or PersonFactory(display_name="Ada Lovelace"),
        "course": kw.pop("course", None) or make_course(title="Safe Patient Handling"),
        "level": Level.CERTIFIED,
        "awarded_at": AWARDED,
        "expires_at": EXPIRES,
        "status_index": next(_index),
    }
    fields.update(kw)
    certification = Certification.objects.create(**fields)
    certification.credential = credential_issue(certification)
    certification.save(update_fields=["credential"])
    return certification


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, payload, signature = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload)), _unb64(signature)


def _reencode(token: str, payload: dict[str, Any]) -> str:
    """The same header and signature over a changed payload: a forgery."""
    header, _payload, signature = token.split(".")
    return f"{header}.{_b64(json.dumps(payload).encode())}.{signature}"


DURING = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


# --- Keys ---------------------------------------------------------------------------------------


def test_the_signing_key_is_created_once_with_its_rfc7638_thumbprint_as_kid():
    key = signing_key_current()
    again = signing_key_current()

    assert again.pk == key.pk
    assert SigningKey.objects.count() == 1
    assert key.private_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert set(key.public_jwk) == {"kty", "crv", "x", "kid"}
    assert key.public_jwk["kty"] == "OKP"
    assert key.public_jwk["crv"] == "Ed25519"
    independent = jwcrypto_jwk.JWK(kty="OKP", crv="Ed25519", x=key.public_jwk["x"])
    assert key.kid == independent.thumbprint() == key.public_jwk["kid"]


def test_jwks_lists_every_key_retired_ones_too_and_never_a_private_part():
    old = signing_key_current()
    old.retired_at = AWARDED
    old.save(update_fields=["retired_at"])
    new = signing_key_current()

    jwks = issuer_jwks()

    assert new.pk != old.pk
    assert [k["kid"] for k in jwks["keys"]] == [
        f"{SITE}/credentials/issuer/keys/{old.kid}",
        f"{SITE}/credentials/issuer/keys/{new.kid}",
    ]
    assert all("d" not in k for k in jwks["keys"])
    assert jwks["keys"][1] == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": new.public_jwk["x"],
        "kid": f"{SITE}/credentials/issuer/keys/{new.kid}",
        "alg": "EdDSA",
        "use": "sig",
    }


def test_credentials_signed_with_a_retired_key_still_verify():
    certification = make_certification()
    key = SigningKey.objects.get()
    key.retired_at = AWARDED
    key.save(update_fields=["retired_at"])
    signing_key_current()  # a new key from now on

    result = credential_verify(certification.credential, now=DURING)

    assert result.valid is True


def test_a_key_file_signs_and_its_public_half_is_published(settings, tmp_path: Path):
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "key.pem").write_bytes(pem)
    settings.CREDENTIAL_KEY_FILE = str(tmp_path / "key.pem")

    certification = make_certification()
    key = SigningKey.objects.get()

    assert key.private_pem == ""
    assert _parts(certification.credential)[0]["kid"].endswith(f"/keys/{key.kid}")
    assert credential_verify(certification.credential, now=DURING).valid is True


# --- The credential -----------------------------------------------------------------------------


def test_the_credential_is_an_open_badges_3_credential():
    certification = make_certification(
        person=PersonFactory(display_name="Ada Lovelace", email="Ada@Example.org")
    )

    credential = credential_build(certification)

    uid = certification.uid
    subject = credential["credentialSubject"]
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["id"] == f"urn:uuid:{uid}"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["name"] == "Certified trainer — Safe Patient Handling"
    assert credential["issuer"] == {
        "id": f"{SITE}/credentials/issuer",
        "type": ["Profile"],
        "name": "Northwind Health",
        "url": SITE,
    }
    assert credential["validFrom"] == "2025-03-01T09:30:15Z"
    assert credential["validUntil"] == "2027-03-01T09:30:15Z"
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"].startswith("urn:uuid:")
    name, email = subject["identifier"]
    assert name == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Ada Lovelace",
    }
    assert email["identityType"] == "emailAddress"
    assert email["hashed"] is True
    salted = ("ada@example.org" + email["salt"]).encode()
    assert email["identityHash"] == "sha256$" + hashlib.sha256(salted).hexdigest()
    assert subject["achievement"] == {
        "id": (f"{SITE}/credentials/achievements/{certification.course.slug}/certified"),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": "Certified trainer — Safe Patient Handling",
        "description": "Can deliver Safe Patient Handling on their own to Northwind Health's "
        "standard.",
        "criteria": {"narrative": subject["achievement"]["criteria"]["narrative"]},
    }
    assert "Safe Patient Handling" in subject["achievement"]["criteria"]["narrative"]
    index = certification.status_index
    assert credential["credentialStatus"] == [
        {
            "id": f"{SITE}/credentials/status/{purpose}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": f"{SITE}/credentials/status/{purpose}",
        }
        for purpose in ("revocation", "suspension")
    ]


def test_the_email_is_never_in_the_credential_in_clear():
    certification = make_certification(person=PersonFactory(email="ada@example.org"))

    _header, payload, _sig = _parts(certification.credential)

    assert "ada@example.org" not in json.dumps(payload).lower()


def test_building_twice_gives_the_same_document():
    certification = make_certification()

    assert credential_build(certification) == credential_build(certification)


def test_the_jwt_follows_the_open_badges_jwt_proof_format():
    certification = make_certification()
    key = SigningKey.objects.get()

    header, payload, signature = _parts(certification.credential)

    assert header == {
        "alg": "EdDSA",
        "kid": f"{SITE}/credentials/issuer/keys/{key.kid}",
        "typ": "JWT",
    }
    assert payload["iss"] == f"{SITE}/credentials/issuer"
    assert payload["jti"] == f"urn:uuid:{certification.uid}"
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert payload["nbf"] == int(datetime(2025, 3, 1, 9, 30, 15, tzinfo=UTC).timestamp())
    assert payload["exp"] == int(EXPIRES.timestamp())
    assert "vc" not in payload  # VCDM 2.0: the credential is the payload
    assert {k: v for k, v in payload.items() if k not in {"iss", "jti", "sub", "nbf", "exp"}} == (
        credential_build(certification)
    )
    assert len(signature) == 64


def test_the_document_is_an_enveloped_verifiable_credential():
    certification = make_certification()

    document = credential_document(certification)

    assert document == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"data:application/vc+jwt,{certification.credential}",
        "type": "EnvelopedVerifiableCredential",
    }


def test_a_certification_without_a_credential_has_no_document():
    certification = make_certification()
    certification.credential = ""

    with pytest.raises(ValueError, match="no credential"):
        credential_document(certification)


# --- Verification -------------------------------------------------------------------------------


def test_a_fresh_credential_verifies_in_every_form_it_travels_in():
    certification = make_certification()
    document = credential_document(certification)

    for data in (
        certification.credential,
        document,
        json.dumps(document),
        json.dumps(document).encode(),
        b"\xef\xbb\xbf" + json.dumps(document).encode(),  # a BOM from a text editor
    ):
        result = credential_verify(data, now=DURING)

        assert result.valid is True
        assert result.reason == VALID
        assert result.holder_name == "Ada Lovelace"
        assert result.achievement_name == "Certified trainer — Safe Patient Handling"
        assert result.credential["issuer"]["name"] == "Northwind Health"
        assert result.valid_until == datetime(2027, 3, 1, 9, 30, 15, tzinfo=UTC)
        assert [(c.name, c.ok) for c in result.checks] == [
            ("Format", True),
            ("Signature", True),
            ("Start", True),
            ("Expiry", True),
            ("Status", True),
        ]


def test_a_fresh_credential_verifies_now():
    now = datetime.now(UTC)
    certification = make_certification(
        awarded_at=now.replace(year=now.year - 1), expires_at=now.replace(year=now.year + 1)
    )

    assert credential_verify(certification.credential).valid is True


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda p: p["credentialSubject"]["identifier"][0].update(identityHash="Mallory"),
            id="name",
        ),
        pytest.param(
            lambda p: p["credentialSubject"]["achievement"].update(
                name="Master trainer — Safe Patient Handling"
            ),
            id="level",
        ),
        pytest.param(lambda p: p.update(exp=p["exp"] + 10 * 365 * 86400), id="exp-claim"),
    ],
)
def test_a_changed_payload_fails_the_signature(tamper):
    certification = make_certification()
    _header, payload, _sig = _parts(certification.credential)
    tamper(payload)
    forged = _reencode(certification.credential, payload)

    result = credential_verify(forged, now=DURING)

    assert result.valid is False
    assert result.reason == SIGNATURE_MISMATCH
    assert result.credential is None  # forged contents are never shown as if genuine
    assert result.checks[-1] == Check(
        "Signature", False, "The signature does not match the contents."
    )


def test_a_credential_whose_claims_contradict_it_fails_even_when_signed_by_us():
    certification = make_certification()
    _header, payload, _sig = _parts(certification.credential)
    payload["exp"] += 86400  # validUntil unchanged

    result = credential_verify(credentials.jws_sign(payload), now=DURING)

    assert result.valid is False
    assert result.reason == "The credential contradicts itself."
    assert result.checks[-1] == Check(
        "Claims", False, "Its token claims (exp) disagree with its contents."
    )


def test_a_flipped_signature_byte_fails():
    certification = make_certification()
    header, payload, signature = certification.credential.split(".")
    raw = bytearray(_unb64(signature))
    raw[10] ^= 0x01
    forged = f"{header}.{payload}.{_b64(bytes(raw))}"

    result = credential_verify(forged, now=DURING)

    assert (result.valid, result.reason) == (False, SIGNATURE_MISMATCH)


def test_an_expired_credential_fails():
    certification = make_certification()

    with time_machine.travel(datetime(2027, 3, 2, tzinfo=UTC), tick=False):
        result = credential_verify(certification.credential)

    assert result.valid is False
    assert result.reason == "The credential expired on 2027-03-01."
    assert [(c.name, c.ok) for c in result.checks] == [
        ("Format", True),
        ("Signature", True),
        ("Start", True),
        ("Expiry", False),
        ("Status", True),  # still shown: the page explains the whole state
    ]
    assert result.checks[3] == Check("Expiry", False, "Expired on 2027-03-01.")
    assert result.credential is not None  # still shown: it is genuine, only over


def test_a_credential_before_its_start_fails():
    certification = make_certification()

    result = credential_verify(certification.credential, now=datetime(2025, 2, 1, tzinfo=UTC))

    assert result.valid is False
    assert result.reason == "The credential is not valid until 2025-03-01."


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CertificationStatus.REVOKED, "The credential has been revoked."),
        (CertificationStatus.SUSPENDED, "The credential is suspended."),
        (CertificationStatus.LAPSED, "The certification has lapsed."),
    ],
)
def test_a_revoked_or_suspended_credential_fails_through_its_status(status, reason):
    certification = make_certification()
    Certification.objects.filter(pk=certification.pk).update(status=status)

    result = credential_verify(certification.credential, now=DURING)

    assert result.valid is False
    assert result.reason == reason
    assert result.checks[-1] == Check("Status", False, reason)


def test_a_superseded_credential_still_stands_for_its_dates():
    certification = make_certification()
    Certification.objects.filter(pk=certification.pk).update(status=CertificationStatus.SUPERSEDED)

    result = credential_verify(certification.credential, now=DURING)

    assert result.valid is True


def test_a_credential_signed_by_someone_else_fails():
    certification = make_certification()
    stranger = Ed25519PrivateKey.generate()
    _header, payload, _sig = _parts(certification.credential)
    forged = jwt.encode(
        payload, stranger, algorithm="EdDSA", headers={"kid": "https://evil.example/k"}
    )

    result = credential_verify(forged, now=DURING)

    assert result.valid is False
    assert result.reason == "The credential was not signed by Northwind Health."


def test_a_stranger_key_with_our_kid_fails_the_signature():
    certification = make_certification()
    header, payload, _sig = _parts(certification.credential)
    forged = jwt.encode(
        payload, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]}
    )

    assert credential_verify(forged, now=DURING).reason == SIGNATURE_MISMATCH


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_other_algorithms_are_refused(alg):
    certification = make_certification()
    header, payload, _sig = _parts(certification.credential)
    key = SigningKey.objects.get()
    if alg == "none":
        token = jwt.encode(payload, None, algorithm="none", headers={"kid": header["kid"]})
    else:  # the classic confusion: HMAC keyed with the public key
        token = jwt.encode(
            payload,
            key.public_jwk["x"].encode() * 2,
            algorithm="HS256",
            headers={"kid": header["kid"]},
        )

    result = credential_verify(token, now=DURING)

    assert result.valid is False
    assert result.reason == "The credential is not signed the way Cascade signs."


def test_a_given_jwks_verifies_offline_and_says_status_was_not_checked():
    certification = make_certification()
    jwks = issuer_jwks()
    token = certification.credential
    Certification.objects.filter(pk=certification.pk).delete()

    result = credential_verify(token, jwks=jwks, now=DURING)

    assert result.valid is True
    assert result.checks[-1] == Check(
        "Status", None, "Not checked: this server has no record of the credential."
    )


def test_a_given_jwks_without_our_key_fails():
    certification = make_certification()
    other = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    jwks = {"keys": [json.loads(other.export_public())]}

    result = credential_verify(certification.credential, jwks=jwks, now=DURING)

    assert result.valid is False
    assert result.reason == "The credential was not signed by Northwind Health."


def test_our_old_credentials_survive_a_change_of_site_url(settings):
    certification = make_certification()
    settings.SITE_URL = "https://new.example.org"

    assert credential_verify(certification.credential, now=DURING).valid is True


@pytest.mark.parametrize(
    "data",
    [
        "",
        "   ",
        "not a credential",
        "a.b.c",
        "eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln",  # a JWS, but not an Open Badge
        b"\xff\xfe\x00garbage",
        b"{",
        "[1, 2, 3]",
        '"just a string"',
        "null",
        {"foo": "bar"},
        {"type": "EnvelopedVerifiableCredential", "id": "data:text/plain,hello"},
        {"type": "EnvelopedVerifiableCredential", "id": 12},
        "x" * (300 * 1024),
        '{"a": ' * 5000,
        None,
        12,
    ],
)
def test_garbage_is_not_readable_and_never_raises(data):
    result = credential_verify(data, now=DURING)

    assert result.valid is False
    assert result.reason == NOT_READABLE
    assert result.credential is None
    assert result.checks[0].name == "Format"
    assert result.checks[0].ok is False


# --- Status lists -------------------------------------------------------------------------------


def _encoded_list(token: str) -> str:
    _header, payload, _sig = _parts(token)
    return payload["credentialSubject"]["encodedList"]


def test_the_status_lists_decode_with_plain_gzip_and_base64():
    active = make_certification(status_index=3)
    revoked = make_certification(status_index=8, status=CertificationStatus.REVOKED)
    suspended = make_certification(status_index=200_000, status=CertificationStatus.SUSPENDED)

    revocation = status_list_credential("revocation")
    suspension = status_list_credential("suspension")

    def bits(token: str) -> bytes:
        encoded = _encoded_list(token)
        assert encoded[0] == "u"  # multibase base64url
        return gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "==="))

    revocation_bits, suspension_bits = bits(revocation), bits(suspension)
    assert len(revocation_bits) == 16 * 1024  # the spec's minimum, 131,072 entries
    assert len(suspension_bits) == 2 * 16 * 1024  # grown to hold index 200,000
    assert revocation_bits[1] == 0b1000_0000  # index 8: the first (leftmost) bit of byte 1
    assert sum(bin(b).count("1") for b in revocation_bits) == 1
    assert suspension_bits[200_000 // 8] == 0x80 >> (200_000 % 8)
    assert sum(bin(b).count("1") for b in suspension_bits) == 1
    assert status_bit(_encoded_list(revocation), revoked.status_index) is True
    assert status_bit(_encoded_list(revocation), active.status_index) is False
    assert status_bit(_encoded_list(revocation), suspended.status_index % MIN_BITS) is False
    assert status_bit(_encoded_list(suspension), suspended.status_index) is True


def test_the_status_list_credential_is_signed_and_shaped_per_the_spec():
    key = signing_key_current()

    header, payload, _sig = _parts(status_list_credential("revocation"))

    assert header == {
        "alg": "EdDSA",
        "kid": f"{SITE}/credentials/issuer/keys/{key.kid}",
        "typ": "vc+jwt",
    }
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert payload["id"] == payload["jti"] == f"{SITE}/credentials/status/revocation"
    assert payload["issuer"] == payload["iss"] == f"{SITE}/credentials/issuer"
    assert payload["credentialSubject"]["type"] == "BitstringStatusList"
    assert payload["credentialSubject"]["statusPurpose"] == "revocation"
    assert payload["nbf"] == int(
        datetime.fromisoformat(payload["validFrom"].replace("Z", "+00:00")).timestamp()
    )


def test_an_unknown_status_purpose_is_refused():
    with pytest.raises(ValueError, match="Unknown status purpose"):
        status_list_credential("message")


@pytest.mark.parametrize(
    ("encoded", "index"),
    [
        ("not multibase", 0),
        ("u!!!", 0),
        ("u" + _b64(b"not gzip"), 0),
        (encode_bits([]), MIN_BITS),
        (encode_bits([]), -1),
        ("u" + _b64(gzip.compress(bytes(17 * 1024 * 1024))), 0),  # a gzip bomb
    ],
)
def test_status_bit_refuses_what_is_not_a_list(encoded, index):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        status_bit(encoded, index)


# --- The certificate ----------------------------------------------------------------------------


def test_the_certificate_is_a_pdf():
    certification = make_certification()

    pdf = certificate_pdf(certification)

    assert pdf.startswith(b"%PDF")


def test_the_certificate_is_cached_until_what_it_shows_changes():
    certification = make_certification()
    first = certificate_pdf(certification)

    again = certificate_pdf(certification)
    certification.person.display_name = "Ada King"
    renamed = certificate_pdf(certification)

    assert again == first
    assert renamed != first


def test_the_certificate_names_the_holder_and_links_to_the_verification_page():

    certification = make_certification()

    html = render_to_string(TEMPLATE, certificate_context(certification))

    assert "Ada Lovelace" in html
    assert "Certified trainer" in html
    assert "Safe Patient Handling" in html
    assert f"{SITE}/credentials/{certification.uid}/" in html
    assert "1 March 2027" in html
    assert 'src="data:image/svg+xml' in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # no remote assets


# --- The command --------------------------------------------------------------------------------


def _run(*args: str, capsys: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as exit_info:
        call_command("credential", "verify", *args)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    return int(exit_info.value.code or 0), json.loads(lines[0])


def test_the_command_exits_0_for_a_valid_credential(tmp_path: Path, capsys):
    now = datetime.now(UTC)
    certification = make_certification(
        awarded_at=now.replace(year=now.year - 1), expires_at=now.replace(year=now.year + 1)
    )
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential_document(certification)))

    assert _run(str(path), capsys=capsys) == (0, {"valid": True, "reason": VALID})


def test_the_command_checks_offline_against_a_jwks_file(tmp_path: Path, capsys):
    now = datetime.now(UTC)
    certification = make_certification(
        awarded_at=now.replace(year=now.year - 1), expires_at=now.replace(year=now.year + 1)
    )
    (tmp_path / "c.json").write_text(json.dumps(credential_document(certification)))
    (tmp_path / "keys.json").write_text(json.dumps(issuer_jwks()))
    (tmp_path / "other.json").write_text(
        json.dumps(
            {
                "keys": [
                    json.loads(jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519").export_public())
                ]
            }
        )
    )

    assert (
        _run(str(tmp_path / "c.json"), "--jwks", str(tmp_path / "keys.json"), capsys=capsys)[0] == 0
    )
    assert _run(
        str(tmp_path / "c.json"), "--jwks", str(tmp_path / "other.json"), capsys=capsys
    ) == (1, {"valid": False, "reason": "The credential was not signed by Northwind Health."})


def test_the_command_exits_1_for_a_tampered_credential(tmp_path: Path, capsys):
    certification = make_certification()
    _header, payload, _sig = _parts(certification.credential)
    payload["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    path = tmp_path / "forged.json"
    path.write_text(_reencode(certification.credential, payload))

    assert _run(str(path), capsys=capsys) == (1, {"valid": False, "reason": SIGNATURE_MISMATCH})


def test_the_command_exits_1_for_a_file_that_is_not_a_credential(tmp_path: Path, capsys):
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}')

    assert _run(str(path), capsys=capsys) == (1, {"valid": False, "reason": NOT_READABLE})


def test_the_command_exits_2_for_an_unreadable_file(tmp_path: Path, capsys):
    code, answer = _run(str(tmp_path / "missing.json"), capsys=capsys)

    assert code == 2
    assert answer["valid"] is False
    assert answer["reason"].startswith(f"Cannot read {tmp_path / 'missing.json'}")


def test_the_command_exits_2_for_an_unreadable_jwks(tmp_path: Path, capsys):
    certification = make_certification()
    (tmp_path / "c.json").write_text(certification.credential)
    (tmp_path / "keys.json").write_text("[]")

    code, answer = _run(
        str(tmp_path / "c.json"), "--jwks", str(tmp_path / "keys.json"), capsys=capsys
    )

    assert code == 2
    assert answer == {
        "valid": False,
        "reason": f"{tmp_path / 'keys.json'} is not a JWKS (no 'keys' list).",
    }


def test_credentials_module_reads_the_issuer_name_setting_first(settings):
    settings.CREDENTIAL_ISSUER_NAME = "Northwind Academy"

    assert credentials.issuer_name() == "Northwind Academy"


def test_unreadable_keys_mean_the_signature_was_not_checked_not_a_crash(monkeypatch):
    certification = make_certification()

    def broken() -> dict[str, Any]:
        raise DatabaseError("no such table")

    monkeypatch.setattr(verification, "issuer_jwks", broken)

    result = credential_verify(certification.credential, now=DURING)

    assert result.valid is False
    assert result.reason == "The signature could not be checked."
    assert result.checks[-1] == Check(
        "Signature", None, "Not checked: the issuer's keys could not be read."
    )
