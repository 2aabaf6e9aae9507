"""Open Badges 3.0 credentials for certifications: the issuer's Ed25519 signing keys, building
a certification's ``OpenBadgeCredential``, and signing it as a VC-JWT
(:mod:`cascade.certification.verification` checks one).

Signed form (Open Badges 3.0 §8.2, VCDM 2.0 edition): a compact JWS with the header
``{"alg": "EdDSA", "kid": <URL of the public JWK>, "typ": "JWT"}`` (no other header allowed);
the payload is the credential itself plus the claims ``iss`` (issuer.id), ``jti`` (id), ``sub``
(credentialSubject.id), ``nbf`` (validFrom) and ``exp`` (validUntil).

Downloadable file: the VCDM 2.0 ``EnvelopedVerifiableCredential`` whose ``id`` is
``data:application/vc+jwt,<JWS>``, which VC 2.0 wallets take as it is. Nothing readable sits
beside the JWS on purpose: an unsigned copy could be edited and believed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.crypto import salted_hmac

from cascade.certification.models import Certification, Level, SigningKey
from cascade.delivery.models import Course

logger = logging.getLogger(__name__)

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
ENVELOPE_PREFIX = "data:application/vc+jwt,"
ALGORITHM = "EdDSA"
# The verify page and command refuse anything larger: a credential is a few kilobytes.
MAX_CREDENTIAL_BYTES = 256 * 1024
STATUS_PURPOSES = ("revocation", "suspension")
_JWT_CLAIMS = frozenset({"iss", "jti", "sub", "nbf", "exp", "iat", "aud"})
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")  # alg "none": no sig


# Plain English, not translated: this text is signed into credentials that outlive any session.
_LEVEL_TEXT: dict[str, tuple[str, str]] = {
    Level.CO_FACILITATOR: (
        "Can co-facilitate {course} alongside a certified trainer.",
        "Took part in teach-backs and co-delivered {course}, and was judged ready to "
        "co-facilitate it against {org}'s trainer competencies.",
    ),
    Level.CERTIFIED: (
        "Can deliver {course} on their own to {org}'s standard.",
        "Passed the observed teach-backs, co-deliveries and solo deliveries of {course} and "
        "reached the competency levels that {org}'s trainer certification ladder requires.",
    ),
    Level.MASTER: (
        "Can deliver {course}, and train, observe and certify other trainers in it.",
        "Held {org}'s certified-trainer level for {course}, passed the observed teaching and "
        "assessment of other trainers, and met the calibration standard for raters.",
    ),
}


# --- URLs and the issuer ----------------------------------------------------------------------


def site_url() -> str:
    """The public base URL every identifier in a credential hangs from."""
    return str(getattr(settings, "SITE_URL", "") or "http://localhost:8000").rstrip("/")


def public_url(name: str, *args: Any) -> str:
    """The absolute URL of one of our public credential routes (``certification:<name>``)."""
    return site_url() + reverse(f"certification:{name}", args=args)


def issuer_name() -> str:
    name = getattr(settings, "CREDENTIAL_ISSUER_NAME", None)
    return str(name or getattr(settings, "CASCADE_ORG_NAME", None) or "Cascade")


def issuer_profile() -> dict[str, Any]:
    """The Open Badges ``Profile`` of the organisation that issues every credential."""
    return {
        "id": public_url("credential_issuer"),
        "type": ["Profile"],
        "name": issuer_name(),
        "url": site_url(),
    }


# --- Keys -------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an Ed25519 (OKP) public JWK: SHA-256 of its required members
    in lexicographic order, without spaces."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _public_jwk(private_key: Ed25519PrivateKey) -> dict[str, str]:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def _load_private_pem(pem: bytes) -> Ed25519PrivateKey:
    key = load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("The credential signing key must be an Ed25519 key.")
    return key


def _key_file() -> str:
    return str(getattr(settings, "CREDENTIAL_KEY_FILE", "") or "")


def signing_key_current() -> SigningKey:
    """The key that signs new credentials, created on first use.

    With ``CREDENTIAL_KEY_FILE`` set, the private key lives in that file and the row only
    publishes its public half. Two first uses racing may each create a key; both are published
    and the newer signs from then on, so no credential is ever left unverifiable.
    """
    if _key_file():
        return _key_row(_load_private_pem(Path(_key_file()).read_bytes()), pem="")
    key = SigningKey.objects.filter(retired_at__isnull=True).exclude(private_pem="").first()
    if key is None:
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        key = _key_row(private, pem=pem.decode("ascii"))
    return key


def _key_row(private: Ed25519PrivateKey, *, pem: str) -> SigningKey:
    jwk = _public_jwk(private)
    kid = jwk_thumbprint(jwk)
    key, _created = SigningKey.objects.get_or_create(
        kid=kid, defaults={"private_pem": pem, "public_jwk": {**jwk, "kid": kid}}
    )
    return key


def _private_key(key: SigningKey) -> Ed25519PrivateKey:
    if key.private_pem:
        return _load_private_pem(key.private_pem.encode("ascii"))
    private = _load_private_pem(Path(_key_file()).read_bytes())
    if jwk_thumbprint(_public_jwk(private)) != key.kid:
        raise ImproperlyConfigured(f"CREDENTIAL_KEY_FILE does not hold the key {key.kid}.")
    return private


def published_jwk(key: SigningKey) -> dict[str, str]:
    """The public JWK as published: its ``kid`` is the same URL our JWS headers carry, so any
    JOSE library finds the key by ``kid`` alone. Never includes ``d``."""
    jwk = key.public_jwk
    return {
        "kty": jwk["kty"],
        "crv": jwk["crv"],
        "x": jwk["x"],
        "kid": public_url("credential_key", key.kid),
        "alg": ALGORITHM,
        "use": "sig",
    }


def issuer_jwks() -> dict[str, Any]:
    """Every key we ever signed with, retired ones too: old credentials must stay checkable."""
    keys = SigningKey.objects.order_by("created_at", "id")
    return {"keys": [published_jwk(key) for key in keys]}


def jws_sign(payload: Mapping[str, Any], *, typ: str = "JWT") -> str:
    """Sign ``payload`` as a compact JWS with the current key (used by credentials and status
    lists alike)."""
    key = signing_key_current()
    return jwt.encode(
        dict(payload),
        _private_key(key),
        algorithm=ALGORITHM,
        headers={"kid": public_url("credential_key", key.kid), "typ": typ},
    )


# --- Building and issuing -----------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject_id(person_pk: int) -> str:
    """A stable, opaque id for the holder (JWT ``sub``), the same on all their credentials."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{site_url()}/people/{person_pk}')}"


def _email_identity(email: str, certification_uid: uuid.UUID) -> dict[str, Any]:
    # Deterministic but unguessable salt, so rebuilding a credential gives the same document.
    salt = salted_hmac("cascade.certification.credentials.salt", str(certification_uid))
    salt_text = salt.hexdigest()[:32]
    digest = hashlib.sha256((email.strip().lower() + salt_text).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "salt": salt_text,
    }


def achievement_build(course: Course, level: str) -> dict[str, Any]:
    """The Open Badges ``Achievement`` for a level of a course (the same for every holder)."""
    level = Level(level)
    description, narrative = _LEVEL_TEXT[level]
    values = {"course": course.title, "org": issuer_name()}
    return {
        "id": public_url("credential_achievement", course.slug, level.value),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": f"{level.label} — {course.title}",
        "description": description.format(**values),
        "criteria": {"narrative": narrative.format(**values)},
    }


def _status_entry(index: int, purpose: str) -> dict[str, str]:
    url = public_url("credential_status_list", purpose)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def credential_build(certification: Certification) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` for a certification.

    ``credentialStatus`` holds two entries at the same index: the revocation list and the
    suspension list, so an outside verifier learns of a suspension too.
    """
    person = certification.person
    achievement = achievement_build(certification.course, certification.level)
    valid_from = _iso(certification.awarded_at)
    return {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": f"urn:uuid:{certification.uid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer_profile(),
        "validFrom": valid_from,
        "validUntil": _iso(certification.expires_at),
        "awardedDate": valid_from,
        "credentialSubject": {
            "id": subject_id(person.pk),
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": person.display_name,
                },
                _email_identity(person.email, certification.uid),
            ],
            "achievement": achievement,
        },
        "credentialStatus": [
            _status_entry(certification.status_index, purpose) for purpose in STATUS_PURPOSES
        ],
    }


def credential_issue(certification: Certification) -> str:
    """Build and sign the credential; the caller stores it in ``certification.credential``."""
    credential = credential_build(certification)
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(certification.awarded_at.timestamp()),
        "exp": int(certification.expires_at.timestamp()),
    }
    return jws_sign(claims)


def credential_document(certification: Certification) -> dict[str, Any]:
    """The downloadable JSON file: the issued JWS wrapped as a VC 2.0 enveloped credential."""
    if not certification.credential:
        raise ValueError("This certification has no credential yet.")
    return {
        "@context": [VC2_CONTEXT],
        "id": f"{ENVELOPE_PREFIX}{certification.credential}",
        "type": "EnvelopedVerifiableCredential",
    }


def certification_by_uid(uid: uuid.UUID | str) -> Certification | None:
    """The certification behind a public credential URL, with what its pages show."""
    return (
        Certification.objects.select_related("person", "course")
        .filter(uid=uid)
        .exclude(credential="")
        .first()
    )
