"""The public credential pages, open to anyone: issuer profile and keys (checked with an
independent JOSE library), status lists, achievements, the credential page, its file and
certificate, and the verify page with its refusals."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from cascade.certification.credentials import credential_document, credential_issue
from cascade.certification.models import Certification, CertificationStatus, Level, SigningKey
from cascade.delivery.tests.factories import make_course
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SITE = "https://cascade.example.org"
_index = itertools.count(5000)


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.CASCADE_ORG_NAME = "Northwind Health"


def make_certification(**kw: Any) -> Certification:
    """A certification in force today, with its credential issued."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "person": kw.pop("person", None)
        or PersonFactory(display_name="Grace Hopper", email="grace@example.org"),
        "course": kw.pop("course", None) or make_course(title="Safe Patient Handling"),
        "level": Level.MASTER,
        "awarded_at": now - timedelta(days=30),
        "expires_at": now + timedelta(days=700),
        "status_index": next(_index),
    }
    fields.update(kw)
    certification = Certification.objects.create(**fields)
    certification.credential = credential_issue(certification)
    certification.save(update_fields=["credential"])
    return certification


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _payload(token: str) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[1]))


def _text(response: Any) -> str:
    return response.content.decode()


# --- Issuer, keys, achievements -----------------------------------------------------------------


def test_the_issuer_profile_is_public_json(client: Client):
    response = client.get("/credentials/issuer")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{SITE}/credentials/issuer",
        "type": ["Profile"],
        "name": "Northwind Health",
        "url": SITE,
    }


def test_an_independent_library_accepts_our_credential_against_the_published_jwks(
    client: Client,
):
    certification = make_certification()

    jwks = client.get(reverse("certification:credential_keys"))
    keyset = jwcrypto_jwk.JWKSet.from_json(jwks.content)
    token = jwcrypto_jws.JWS()
    token.deserialize(certification.credential)
    token.verify(keyset)  # raises when the signature or the key lookup by kid fails

    assert jwks.status_code == 200
    assert jwks["Content-Type"] == "application/jwk-set+json"
    assert json.loads(token.payload)["jti"] == f"urn:uuid:{certification.uid}"
    assert all("d" not in key for key in jwks.json()["keys"])


def test_an_independent_library_rejects_a_forged_credential(client: Client):
    certification = make_certification()
    header, _payload_text, signature = certification.credential.split(".")
    claims = _payload(certification.credential)
    claims["credentialSubject"]["achievement"]["name"] = "Master trainer — Everything"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    keyset = jwcrypto_jwk.JWKSet.from_json(client.get("/credentials/issuer/keys.json").content)
    key = keyset.get_key(json.loads(_unb64(header))["kid"])
    token = jwcrypto_jws.JWS()
    token.deserialize(f"{header}.{forged_payload}.{signature}")

    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        token.verify(key)


def test_the_kid_in_the_header_dereferences_to_the_public_key(client: Client):
    certification = make_certification()
    kid_url = json.loads(_unb64(certification.credential.split(".")[0]))["kid"]
    key = SigningKey.objects.get()

    response = client.get(kid_url.removeprefix(SITE))

    assert response.status_code == 200
    assert response.json() == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key.public_jwk["x"],
        "kid": kid_url,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert client.get("/credentials/issuer/keys/nope").status_code == 404


def test_the_achievement_resolves_only_once_someone_holds_it(client: Client):
    course = make_course(title="Manual Handling", slug="manual-handling")
    url = "/credentials/achievements/manual-handling/master"

    before = client.get(url)
    make_certification(course=course)
    after = client.get(url)

    assert before.status_code == 404
    assert after.status_code == 200
    assert after.json()["id"] == f"{SITE}{url}"
    assert after.json()["name"] == "Master trainer — Manual Handling"
    assert client.get("/credentials/achievements/manual-handling/wizard").status_code == 404


# --- Status lists -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "status"),
    [("revocation", CertificationStatus.REVOKED), ("suspension", CertificationStatus.SUSPENDED)],
)
def test_the_status_list_is_a_signed_bitstring_that_plain_gzip_reads(
    client: Client, purpose: str, status: str
):
    flagged = make_certification(status=status)
    fine = make_certification(person=PersonFactory())

    response = client.get(f"/credentials/status/{purpose}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    token = response.content.decode()
    keyset = jwcrypto_jwk.JWKSet.from_json(client.get("/credentials/issuer/keys.json").content)
    verified = jwcrypto_jws.JWS()
    verified.deserialize(token)
    verified.verify(keyset)
    subject = json.loads(verified.payload)["credentialSubject"]
    assert subject["statusPurpose"] == purpose
    bits = gzip.decompress(_unb64(subject["encodedList"].removeprefix("u")))
    assert len(bits) * 8 == 131_072

    def bit(index: int) -> int:
        return (bits[index // 8] >> (7 - index % 8)) & 1

    assert bit(flagged.status_index) == 1
    assert bit(fine.status_index) == 0


def test_an_unknown_status_list_is_404(client: Client):
    assert client.get("/credentials/status/message").status_code == 404


# --- A credential's pages -----------------------------------------------------------------------


def test_the_credential_page_shows_the_verified_credential_and_nothing_else_about_the_person(
    client: Client,
):
    person = PersonFactory(
        display_name="Grace Hopper", email="grace@example.org", job_title="Rear admiral"
    )
    certification = make_certification(person=person)

    response = client.get(f"/credentials/{certification.uid}/")

    page = _text(response)
    assert response.status_code == 200
    assert "The credential is valid." in page
    assert "Grace Hopper" in page
    assert "Master trainer — Safe Patient Handling" in page
    assert "Northwind Health" in page
    assert certification.expires_at.strftime("%-d %B %Y") in page
    assert "grace@example.org" not in page
    assert "Rear admiral" not in page
    assert f"/credentials/{certification.uid}.json" in page
    assert f"/credentials/{certification.uid}.pdf" in page


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CertificationStatus.REVOKED, "The credential has been revoked."),
        (CertificationStatus.SUSPENDED, "The credential is suspended."),
    ],
)
def test_the_credential_page_says_when_it_is_revoked_or_suspended(client: Client, status, message):
    certification = make_certification(status=status)

    response = client.get(f"/credentials/{certification.uid}/")

    assert response.status_code == 200
    assert message in _text(response)
    assert "The credential is valid." not in _text(response)


def test_unknown_and_unissued_credentials_are_404(client: Client):
    certification = make_certification()
    Certification.objects.filter(pk=certification.pk).update(credential="")
    other = "00000000-0000-4000-8000-000000000000"

    for path in (
        f"/credentials/{certification.uid}/",
        f"/credentials/{certification.uid}.json",
        f"/credentials/{certification.uid}.pdf",
        f"/credentials/{other}/",
        f"/credentials/{other}.json",
    ):
        assert client.get(path).status_code == 404, path


def test_the_json_download_is_an_attachment_that_verifies(client: Client):
    certification = make_certification()

    response = client.get(f"/credentials/{certification.uid}.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="credential-{certification.uid}.json"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content) == credential_document(certification)


def test_the_pdf_certificate_is_a_pdf(client: Client):
    certification = make_certification()

    response = client.get(f"/credentials/{certification.uid}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_public_pages_need_no_sign_in_and_refuse_writes(client: Client):
    certification = make_certification()

    assert client.get(f"/credentials/{certification.uid}/").status_code == 200
    assert client.post(f"/credentials/{certification.uid}/").status_code == 405
    assert client.post("/credentials/issuer").status_code == 405


# --- The verify page ----------------------------------------------------------------------------


def test_the_verify_page_shows_a_form(client: Client):
    response = client.get(reverse("certification:credential_verify"))

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in _text(response)
    assert "csrfmiddlewaretoken" in _text(response)


def test_pasting_a_valid_credential_shows_every_check_passing(client: Client):
    certification = make_certification()
    document = json.dumps(credential_document(certification))

    response = client.post("/credentials/verify/", {"text": document})

    page = _text(response)
    assert response.status_code == 200
    assert "The credential is valid." in page
    assert page.count("✓ Pass") == 5
    assert "Grace Hopper" in page


def test_uploading_the_file_verifies_it(client: Client):
    certification = make_certification()
    upload = SimpleUploadedFile(
        "credential.json",
        json.dumps(credential_document(certification)).encode(),
        content_type="application/json",
    )

    response = client.post("/credentials/verify/", {"file": upload})

    assert response.status_code == 200
    assert "The credential is valid." in _text(response)


def test_a_tampered_credential_shows_the_failed_check_and_not_its_contents(client: Client):
    certification = make_certification()
    header, _payload_text, signature = certification.credential.split(".")
    claims = _payload(certification.credential)
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    response = client.post("/credentials/verify/", {"text": f"{header}.{forged}.{signature}"})

    page = _text(response)
    assert response.status_code == 200
    assert "The signature does not match: the credential was changed after it was issued." in page
    assert "✗ Fail" in page
    assert "Mallory" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "hello"}, "This is not a credential Cascade can read."),
        ({"text": '{"id": 1}'}, "This is not a credential Cascade can read."),
        ({}, "Paste a credential or choose its file."),
        (
            {"file": SimpleUploadedFile("c.json", b"\xff\xfe\x00\x01")},
            "The file is not text, so not a credential.",
        ),
        (
            {"file": SimpleUploadedFile("big.json", b" " * (256 * 1024 + 1))},
            "The file is larger than 256 KB; a credential is not.",
        ),
        (
            {"text": "x", "file": SimpleUploadedFile("c.json", b"{}")},
            "Paste the credential or upload it, not both.",
        ),
    ],
)
def test_bad_input_is_a_form_error_not_a_crash(client: Client, data, message):
    response = client.post("/credentials/verify/", data)

    assert response.status_code == 400
    assert message in _text(response)


def test_the_verify_form_needs_its_csrf_token():
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post("/credentials/verify/", {"text": "hello"})

    assert response.status_code == 403


def test_the_credential_page_runs_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries
):
    certification = make_certification()

    with django_assert_max_num_queries(4):
        client.get(f"/credentials/{certification.uid}/")
