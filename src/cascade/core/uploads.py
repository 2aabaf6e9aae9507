"""Checking and storing uploaded files, the same way everywhere.

A file is accepted only if its size is under the cap, its extension is on the allowlist and its
first bytes match that type (a "PDF" that is not a PDF is refused). Stored names are random and
live under MEDIA_ROOT, outside the static root; files are served by permission-checking views
as downloads with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError

# extension -> MIME types the content may sniff as (None: text, checked as UTF-8)
ALLOWED: dict[str, tuple[str, ...] | None] = {
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "mp4": ("video/mp4",),
    "webm": ("video/webm",),
    "mp3": ("audio/mpeg",),
    "m4a": ("audio/mp4", "video/mp4", "audio/x-m4a"),
    "docx": (
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "pptx": (
        "application/zip",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "xlsx": (
        "application/zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "txt": None,
    "csv": None,
    "md": None,
}

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
HEAD_BYTES = 8192  # read to recognise a file's type
NAME_MAX = 200
VIDEO_MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content_type: str
    size: int
    storage_name: str


def check_upload(
    upload: UploadedFile, *, allowed: set[str] | None = None, max_bytes: int | None = None
) -> CheckedUpload:
    """Validate ``upload`` or raise ApplicationError with a message a person can act on."""
    # Control characters (a newline in a header) would break the download response later.
    name = "".join(c for c in PurePath(upload.name or "file").name if c.isprintable()) or "file"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    permitted = allowed if allowed is not None else set(ALLOWED)
    if ext not in permitted or ext not in ALLOWED:
        raise ApplicationError(
            _("Files of type “.%(ext)s” are not accepted. Allowed: %(list)s.")
            % {"ext": ext or "?", "list": ", ".join(sorted(permitted))},
            code="upload_type",
        )
    if len(name) > NAME_MAX:
        # Shorten the stem, never the extension: downloads keep the type in their name.
        name = f"{name[: NAME_MAX - len(ext) - 1]}.{ext}"
    limit = max_bytes or (VIDEO_MAX_BYTES if ext in ("mp4", "webm") else DEFAULT_MAX_BYTES)
    size = upload.size or 0
    if size > limit:
        raise ApplicationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": limit // 1048576},
            code="upload_too_large",
        )
    if size == 0:
        raise ApplicationError(_("The file is empty."), code="upload_empty")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    expected = ALLOWED[ext]
    if expected is None:
        not_text = ApplicationError(
            _("“%(name)s” is not a text file.") % {"name": name}, code="upload_content"
        )
        if b"\x00" in head:
            raise not_text
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character may be cut where the head ends, but only if the file goes
            # on past it; anything else is not UTF-8.
            cut_at_boundary = (
                len(head) == HEAD_BYTES
                and size > HEAD_BYTES
                and exc.reason == "unexpected end of data"
            )
            if not cut_at_boundary:
                raise not_text from exc
        content_type = mimetypes.types_map.get(f".{ext}", "text/plain")
    else:
        kind = filetype.guess(head)
        if kind is None or kind.mime not in expected:
            raise ApplicationError(
                _("“%(name)s” does not contain what its name says (.%(ext)s).")
                % {"name": name, "ext": ext},
                code="upload_content",
            )
        content_type = expected[-1] if expected[0] == "application/zip" else kind.mime
    return CheckedUpload(
        original_name=name,
        extension=ext,
        content_type=content_type,
        size=size,
        storage_name=f"{secrets.token_urlsafe(16)}.{ext}",
    )


def download_response(file_field: object, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored file as an attachment that browsers will not sniff or render inline."""
    response = FileResponse(
        file_field.open("rb"),  # type: ignore[attr-defined]
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
