"""W3C Bitstring Status List v1.0 for our credentials: one list for revocation and one for
suspension, built from the certifications' statuses and signed as a VC-JWT.

Each certification owns one ``status_index`` for good; its bit is set in the revocation list
while it is revoked and in the suspension list while it is suspended. The bitstring is at least
16 KB (131,072 entries) as the spec requires, so one credential's status cannot be singled out
by the size of the list; bit 0 is the most significant bit of the first byte.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from cascade.certification.credentials import (
    STATUS_PURPOSES,
    VC2_CONTEXT,
    jws_sign,
    public_url,
)
from cascade.certification.models import Certification, CertificationStatus

MIN_BITS = 16 * 1024 * 8  # 131,072: the spec's minimum, for group privacy
# A decoder must not be turned into a gzip bomb: no list of ours comes near this.
MAX_DECODED_BYTES = 16 * 1024 * 1024
TTL_MS = 5 * 60 * 1000  # how long a verifier may cache a list (the view says the same)

_PURPOSE_STATUS = {
    "revocation": CertificationStatus.REVOKED,
    "suspension": CertificationStatus.SUSPENDED,
}


def encode_bits(indexes: Iterable[int], *, length: int = MIN_BITS) -> str:
    """The ``encodedList`` for these set bits: multibase ``u`` + base64url (no padding) of the
    gzip-compressed bitstring, grown in steps of ``MIN_BITS`` to hold the largest index."""
    indexes = sorted(set(indexes))
    if indexes and indexes[0] < 0:
        raise ValueError("A status list index cannot be negative.")
    if indexes:
        length = max(length, (indexes[-1] // MIN_BITS + 1) * MIN_BITS)
    bits = bytearray(length // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bits(encoded_list: str) -> bytes:
    """The raw bitstring of an ``encodedList``; ValueError when it is not one."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise ValueError("An encodedList is multibase base64url and starts with 'u'.")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        bits = inflater.decompress(compressed, MAX_DECODED_BYTES)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError("The encodedList is not gzip-compressed base64url.") from exc
    if inflater.unconsumed_tail:
        raise ValueError("The status list is larger than Cascade will read.")
    return bits


def status_bit(encoded_list: str, index: int) -> bool:
    """Whether the status at ``index`` is set (revoked, or suspended, per the list's purpose)."""
    bits = decode_bits(encoded_list)
    if index < 0 or index >= len(bits) * 8:
        raise ValueError(f"Index {index} is outside a list of {len(bits) * 8} entries.")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_build(purpose: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` for ``purpose``, as of ``now``."""
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"Unknown status purpose {purpose!r}.")
    indexes = Certification.objects.filter(status=_PURPOSE_STATUS[purpose]).values_list(
        "status_index", flat=True
    )
    url = public_url("credential_status_list", purpose)
    return {
        "@context": [VC2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": public_url("credential_issuer"),
        "validFrom": (now or timezone.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(indexes),
            "ttl": TTL_MS,
        },
    }


def status_list_credential(purpose: str) -> str:
    """The status list for ``purpose`` signed as a VC-JWT (``typ`` ``vc+jwt``, per VC-JOSE-COSE,
    as this is not an Open Badge)."""
    now = timezone.now().replace(microsecond=0)
    credential = status_list_build(purpose, now=now)
    claims = {
        **credential,
        "iss": credential["issuer"],
        "jti": credential["id"],
        "nbf": int(now.timestamp()),
    }
    return jws_sign(claims, typ="vc+jwt")
