"""`python -m cascade credential verify FILE.json [--jwks KEYS.json]`: check a credential file.

Prints one JSON line, ``{"valid": true|false, "reason": "..."}``, so scripts can read it, and
exits 0 only when the credential is valid: 1 when it is not, 2 when a file cannot be read.
Without ``--jwks`` it checks against this server's keys; with it, against those keys (e.g. the
issuer's ``/credentials/issuer/keys.json`` saved earlier), offline.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from cascade.certification.credentials import MAX_CREDENTIAL_BYTES
from cascade.certification.verification import credential_verify

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = "Verify an Open Badges credential file; prints a JSON line, exits 0 only if valid."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser("verify", help="Check a credential file.")
        verify.add_argument("file", help="The credential (.json file or bare JWS).")
        verify.add_argument("--jwks", help="Check against the keys in this JWKS file instead.")

    def _answer(self, valid: bool, reason: str, code: int) -> None:
        self.stdout.write(json.dumps({"valid": valid, "reason": reason}, ensure_ascii=False))
        raise SystemExit(code)

    def handle(self, *args: Any, action: str, file: str, jwks: str | None, **options: Any) -> None:
        try:
            data = _read(file)
        except OSError as exc:
            self._answer(False, f"Cannot read {file}: {exc.strerror or exc}.", EXIT_UNREADABLE)
            return
        keys = None
        if jwks:
            try:
                keys = json.loads(_read(jwks))
            except (OSError, ValueError) as exc:
                self._answer(False, f"Cannot read the keys in {jwks}: {exc}.", EXIT_UNREADABLE)
                return
            if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
                self._answer(False, f"{jwks} is not a JWKS (no 'keys' list).", EXIT_UNREADABLE)
                return
        result = credential_verify(data, jwks=keys)
        self._answer(result.valid, result.reason, EXIT_VALID if result.valid else EXIT_INVALID)


def _read(path: str) -> bytes:
    """The file's bytes, refusing anything far larger than a credential or key set."""
    with Path(path).open("rb") as handle:
        data = handle.read(MAX_CREDENTIAL_BYTES + 1)
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise OSError(f"{path} is larger than 256 KB")
    return data
