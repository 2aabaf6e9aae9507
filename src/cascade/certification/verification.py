"""Verifying a credential: format, signature against the issuer's published keys, dates, and
revocation or suspension through the status list. Answers in plain English and never raises on
bad input, so the public page, the API and ``python -m cascade credential verify`` share it.

Split from :mod:`cascade.certification.credentials` (which issues) so that each stays one
concept; the formats are described there.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import DatabaseError
from django.utils import timezone

from cascade.certification.credentials import (
    _COMPACT_JWS,
    _JWT_CLAIMS,
    ALGORITHM,
    ENVELOPE_PREFIX,
    MAX_CREDENTIAL_BYTES,
    OB3_CONTEXT_PREFIX,
    VC2_CONTEXT,
    _b64url_decode,
    issuer_jwks,
    issuer_name,
    jwk_thumbprint,
)
from cascade.certification.models import Certification, CertificationStatus

logger = logging.getLogger(__name__)

NOT_READABLE = "This is not a credential Cascade can read."
SIGNATURE_MISMATCH = "The signature does not match: the credential was changed after it was issued."
NOT_OUR_ALGORITHM = "The credential is not signed the way Cascade signs."
VALID = "The credential is valid."


# --- Verifying --------------------------------------------------------------------------------


class Check(NamedTuple):
    """One line on the verification page; ``ok`` is None when it could not be checked."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class Verification:
    """The answer: ``credential`` is the verified credential, None when it cannot be trusted."""

    valid: bool
    reason: str
    credential: dict[str, Any] | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def holder_name(self) -> str:
        identities = self._subject.get("identifier") or []
        names = [i.get("identityHash") for i in identities if i.get("identityType") == "name"]
        return str(names[0]) if names else ""

    @property
    def achievement_name(self) -> str:
        return str((self._subject.get("achievement") or {}).get("name", ""))

    @property
    def valid_from(self) -> datetime | None:
        return _dates(self.credential or {})[0]

    @property
    def valid_until(self) -> datetime | None:
        return _dates(self.credential or {})[1]

    @property
    def _subject(self) -> dict[str, Any]:
        return (self.credential or {}).get("credentialSubject") or {}


def _parse_datetime(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dates(credential: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(validFrom, validUntil); validUntil is None when absent (the credential never expires)."""
    until = credential.get("validUntil")
    valid_until = None if until is None else _parse_datetime(until)
    return _parse_datetime(credential.get("validFrom")), valid_until


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _unreadable(detail: str) -> Verification:
    return Verification(False, NOT_READABLE, None, [Check("Format", False, detail)])


def _extract_jws(data: Any, depth: int = 0) -> str | None:
    """The compact JWS in what someone handed us: the enveloped file (as bytes, text or parsed
    JSON) or the bare JWS."""
    if isinstance(data, bytes | bytearray) and len(data) <= MAX_CREDENTIAL_BYTES:
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    if isinstance(data, str) and 0 < len(data.strip()) <= MAX_CREDENTIAL_BYTES and depth < 3:
        text = data.strip()
        if text[0] == "{":
            try:
                return _extract_jws(json.loads(text), depth + 1)
            except (ValueError, RecursionError):
                return None
        text = text.removeprefix(ENVELOPE_PREFIX)
        return text if _COMPACT_JWS.fullmatch(text) else None
    if isinstance(data, dict) and data.get("type") in (
        "EnvelopedVerifiableCredential",
        ["EnvelopedVerifiableCredential"],
    ):
        envelope = data.get("id")
        if isinstance(envelope, str) and envelope.startswith(ENVELOPE_PREFIX):
            return _extract_jws(envelope, depth + 1)
    return None


def _decode_segment(segment: str) -> dict[str, Any] | None:
    try:
        value = json.loads(_b64url_decode(segment))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _format_problem(credential: dict[str, Any]) -> str | None:
    """What is wrong with the shape of an Open Badges 3.0 credential, or None."""
    contexts = _as_list(credential.get("@context"))
    if "OpenBadgeCredential" not in _as_list(credential.get("type")):
        return "It is not an Open Badges credential (no OpenBadgeCredential type)."
    if not contexts or contexts[0] != VC2_CONTEXT:
        return "Its @context does not start with the W3C Verifiable Credentials 2.0 context."
    if not any(str(c).startswith(OB3_CONTEXT_PREFIX) for c in contexts):
        return "Its @context lacks the Open Badges 3.0 context."
    issuer, subject = credential.get("issuer"), credential.get("credentialSubject")
    if not isinstance(issuer, dict) or not isinstance(subject, dict):
        return "It names no issuer or no subject."
    if not isinstance(subject.get("achievement"), dict):
        return "It names no achievement."
    valid_from, valid_until = _dates(credential)
    if valid_from is None or (valid_until is None and "validUntil" in credential):
        return "Its validity dates are not dates."
    if not all(isinstance(i, dict) for i in _as_list(subject.get("identifier"))):
        return "Its holder's identifiers are malformed."
    return None


def _claims_problem(credential: dict[str, Any], claims: dict[str, Any]) -> str | None:
    """Open Badges 3.0 §8.2.4: the JWT claims must repeat the credential's own values."""
    valid_from, valid_until = _dates(credential)
    expected = {
        "iss": credential["issuer"].get("id"),
        "jti": credential.get("id"),
        "sub": credential["credentialSubject"].get("id"),
        "nbf": int(valid_from.timestamp()) if valid_from else None,
        "exp": int(valid_until.timestamp()) if valid_until else None,
    }
    mismatched = [name for name, value in expected.items() if claims.get(name) != value]
    if mismatched:
        return f"Its token claims ({', '.join(mismatched)}) disagree with its contents."
    return None


def _find_key(kid: Any, jwks: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JWK the header's ``kid`` names: by equal ``kid``, else by its last path segment as
    RFC 7638 thumbprint (so a change of SITE_URL does not orphan old credentials)."""
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    candidates = [k for k in _as_list(keys) if isinstance(k, dict) and k.get("crv") == "Ed25519"]
    for key in candidates:
        if key.get("kid") == kid:
            return key
    tail = str(kid).rsplit("/", 1)[-1]
    for key in candidates:
        if (
            isinstance(key.get("x"), str)
            and key.get("kty") == "OKP"
            and jwk_thumbprint(key) == tail
        ):
            return key
    return None


def _signature_ok(token: str, jwk: Mapping[str, Any]) -> bool:
    # Ed25519 directly: the header is pinned to EdDSA before this, so no algorithm is ever
    # taken from the token.
    try:
        public = Ed25519PublicKey.from_public_bytes(_b64url_decode(str(jwk["x"])))
        header, payload, signature = token.split(".")
        public.verify(_b64url_decode(signature), f"{header}.{payload}".encode("ascii"))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


_STATUS_CHECKS: dict[str, tuple[bool, str]] = {
    CertificationStatus.ACTIVE: (True, "Not revoked or suspended."),
    CertificationStatus.SUPERSEDED: (True, "Not revoked; a newer certification replaced it."),
    CertificationStatus.REVOKED: (False, "The credential has been revoked."),
    CertificationStatus.SUSPENDED: (False, "The credential is suspended."),
    CertificationStatus.LAPSED: (False, "The certification has lapsed."),
}


def _status_check(credential: dict[str, Any]) -> Check:
    """Revocation and suspension, read from our records by the credential's status index."""
    indexes = [
        str(entry.get("statusListIndex"))
        for entry in _as_list(credential.get("credentialStatus"))
        if isinstance(entry, dict) and entry.get("type") == "BitstringStatusListEntry"
    ]
    if not indexes or not indexes[0].isdecimal() or len(indexes[0]) > 9:
        return Check("Status", None, "Not checked: the credential has no status list entry.")
    try:
        row = Certification.objects.filter(status_index=int(indexes[0])).first()
    except DatabaseError as exc:
        logger.warning("Credential status could not be read: %s", exc)
        return Check("Status", None, "Not checked: the status records could not be read.")
    if row is None or f"urn:uuid:{row.uid}" != credential.get("id"):
        return Check("Status", None, "Not checked: this server has no record of the credential.")
    return Check("Status", *_STATUS_CHECKS[row.status])


def credential_verify(
    data: str | bytes | dict[str, Any],
    *,
    jwks: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Verification:
    """Check a credential: format, signature against our published keys (or ``jwks``), dates,
    and revocation or suspension. Answers in plain English; never raises on bad input."""
    try:
        return _verify(data, jwks=jwks, now=now or timezone.now())
    except Exception:
        logger.exception("Credential verification failed unexpectedly")
        return _unreadable("The credential could not be read.")


def _verify(data: Any, *, jwks: dict[str, Any] | None, now: datetime) -> Verification:
    token = _extract_jws(data)
    if token is None:
        return _unreadable("Neither a signed credential (JWS) nor a file that holds one.")
    header_text, payload_text, _signature = token.split(".")
    header, payload = _decode_segment(header_text), _decode_segment(payload_text)
    if header is None or payload is None:
        return _unreadable("The signed token does not decode to JSON.")
    credential = {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}
    problem = _format_problem(credential)
    if problem:
        return _unreadable(problem)
    checks = [Check("Format", True, "An Open Badges 3.0 credential, signed as a JSON Web Token.")]

    def fail(check: Check, reason: str, shown: dict[str, Any] | None = None) -> Verification:
        return Verification(False, reason, shown, [*checks, check])

    if header.get("alg") != ALGORITHM:
        detail = f"Signed with {header.get('alg')!r}; Cascade accepts EdDSA only."
        return fail(Check("Signature", False, detail), NOT_OUR_ALGORITHM)
    try:
        key = _find_key(header.get("kid"), jwks if jwks is not None else issuer_jwks())
    except DatabaseError as exc:
        logger.warning("Credential keys could not be read: %s", exc)
        detail = "Not checked: the issuer's keys could not be read."
        return fail(Check("Signature", None, detail), "The signature could not be checked.")
    if key is None:
        detail = "Signed with a key that is not the issuer's."
        return fail(
            Check("Signature", False, detail), f"The credential was not signed by {issuer_name()}."
        )
    if not _signature_ok(token, key):
        detail = "The signature does not match the contents."
        return fail(Check("Signature", False, detail), SIGNATURE_MISMATCH)
    short = jwk_thumbprint(key)[:12]
    checks.append(Check("Signature", True, f"Signed with the issuer's published key {short}…"))
    problem = _claims_problem(credential, payload)
    if problem:
        return fail(Check("Claims", False, problem), "The credential contradicts itself.")

    # Dates and status are all shown, even when one fails: the page explains the whole state.
    valid_from, valid_until = _dates(credential)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    start = _day(valid_from) if valid_from else "?"
    end = _day(valid_until) if valid_until else ""
    late = valid_from is None or now < valid_from
    over = valid_until is not None and now >= valid_until
    checks += [
        Check("Start", not late, f"Not valid until {start}." if late else f"Valid since {start}."),
        Check(
            "Expiry",
            not over,
            f"Expired on {end}." if over else f"Valid until {end}." if end else "Does not expire.",
        ),
        _status_check(credential),
    ]
    reasons = {
        "Start": f"The credential is not valid until {start}.",
        "Expiry": f"The credential expired on {end}.",
    }
    failed = [check for check in checks if check.ok is False]
    if failed:
        return Verification(
            False, reasons.get(failed[0].name, failed[0].detail), credential, checks
        )
    return Verification(True, VALID, credential, checks)
