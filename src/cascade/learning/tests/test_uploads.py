"""Checking and serving uploaded files (cascade.core.uploads), and evidence uploads that use it."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from cascade.core.errors import ApplicationError
from cascade.core.uploads import DEFAULT_MAX_BYTES, check_upload, download_response
from cascade.learning.models import EvidenceFile
from cascade.learning.services import progress as progress_svc
from cascade.learning.tests.factories import build_path, enrol, open_cohort


def png_bytes() -> bytes:
    """A real 1×1 PNG: the 8-byte signature, IHDR, IDAT and IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(file: SimpleUploadedFile, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        check_upload(file, **kwargs)
    return exc.value


STORAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.(\w+)$")


# --- Accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", png_bytes(), "image/png"),
        ("handout.pdf", PDF, "application/pdf"),
        ("Scan.PDF", PDF, "application/pdf"),
        ("notes.txt", "Café — 碁 < > & ' \\ \n".encode(), "text/plain"),
        ("people.csv", b"email\nann@example.org\n", "text/csv"),
        (
            "plan.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_files(name, content, content_type):
    file = upload(name, content, content_type="text/html")  # the browser's claim is ignored

    checked = check_upload(file)

    assert (checked.original_name, checked.extension, checked.content_type, checked.size) == (
        name,
        name.rsplit(".", 1)[1].lower(),
        content_type,
        len(content),
    )
    assert file.tell() == 0  # left ready to be stored


def test_storage_names_are_random_and_keep_the_extension():
    names = {check_upload(upload("My Photo.PNG", png_bytes())).storage_name for _ in range(20)}
    assert len(names) == 20
    for name in names:
        match = STORAGE_NAME.match(name)
        assert match is not None
        assert match.group(1) == "png"
        assert "Photo" not in name


def test_the_original_name_loses_its_path_and_control_characters():
    checked = check_upload(upload("../../etc/evil\r\nX-Header: 1.pdf", PDF))
    assert checked.original_name == "evilX-Header: 1.pdf"
    assert STORAGE_NAME.match(checked.storage_name)


def test_a_long_name_is_shortened_but_keeps_its_extension():
    checked = check_upload(upload("a" * 300 + ".pdf", PDF))
    assert (len(checked.original_name), checked.original_name[-5:], checked.extension) == (
        200,
        "a.pdf",
        "pdf",
    )


def test_text_cut_inside_a_character_at_the_sniffing_boundary_is_accepted():
    content = b"a" * 8191 + "é".encode() + b" more text"
    assert check_upload(upload("long.txt", content)).content_type == "text/plain"


def test_a_narrower_allowlist_is_respected():
    assert check_upload(upload("p.png", png_bytes()), allowed={"png"}).extension == "png"
    error = refused(upload("h.pdf", PDF), allowed={"png", "jpg"})
    assert (error.code, error.message) == (
        "upload_type",
        "Files of type “.pdf” are not accepted. Allowed: jpg, png.",
    )


# --- Refused --------------------------------------------------------------------------------


def test_html_named_pdf_is_refused():
    error = refused(
        upload("evidence.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    )
    assert (error.code, error.message) == (
        "upload_content",
        "“evidence.pdf” does not contain what its name says (.pdf).",
    )


def test_a_pdf_named_png_is_refused():
    assert refused(upload("photo.png", PDF)).code == "upload_content"


def test_a_zip_that_is_not_an_office_file_is_still_only_accepted_as_its_named_type():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hi")
    assert check_upload(upload("plan.docx", buffer.getvalue())).content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert refused(upload("photo.png", buffer.getvalue())).code == "upload_content"


@pytest.mark.parametrize(
    "name", ["setup.exe", "page.html", "image.svg", "archive.zip", "noextension", ".pdf.exe"]
)
def test_types_not_on_the_allowlist_are_refused(name):
    assert refused(upload(name, PDF)).code == "upload_type"


def test_an_allowlist_cannot_widen_the_known_types():
    assert refused(upload("setup.exe", b"MZ\x90\x00"), allowed={"exe"}).code == "upload_type"


def test_over_the_size_cap_is_refused():
    error = refused(upload("big.pdf", PDF), max_bytes=len(PDF) - 1)
    assert error.code == "upload_too_large"
    assert check_upload(upload("ok.pdf", PDF), max_bytes=len(PDF)).size == len(PDF)


def test_the_default_cap_is_25_mb():
    file = upload("big.pdf", PDF)
    file.size = DEFAULT_MAX_BYTES + 1
    error = refused(file)
    assert (error.code, error.message) == (
        "upload_too_large",
        "The file is too large (25.0 MB); the limit is 25 MB.",
    )


def test_an_empty_file_is_refused():
    assert refused(upload("empty.txt", b"")).code == "upload_empty"


@pytest.mark.parametrize(
    "content",
    [
        "café".encode("latin-1"),
        b"\xff\xfe\x00h\x00i",
        b"plain\x00text",
        b"ab\xc3",
        b"\x80" + b"a" * 9000,
    ],
)
def test_text_that_is_not_utf8_is_refused(content):
    error = refused(upload("notes.txt", content))
    assert (error.code, error.message) == ("upload_content", "“notes.txt” is not a text file.")


# --- Downloads ------------------------------------------------------------------------------


def test_download_response_is_an_attachment_that_is_never_sniffed():
    response = download_response(
        ContentFile(PDF, name="x.pdf"), filename="handout.pdf", content_type="application/pdf"
    )

    assert response["Content-Disposition"] == 'attachment; filename="handout.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == PDF


def test_download_response_encodes_non_ascii_names():
    response = download_response(
        ContentFile(b"hi", name="x.txt"), filename="résumé 碁.txt", content_type="text/plain"
    )
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%E7%A2%81.txt"
    )


# --- Evidence uploads -----------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_is_stored_under_a_random_name_with_its_metadata(make_person):
    pm, candidate = make_person("program_manager"), make_person("trainer")
    program, (task,) = build_path(pm, [{"kind": "teach_back"}])
    enrolment = enrol(open_cohort(program, pm), candidate, pm)

    progress = progress_svc.task_submit(
        enrolment=enrolment, step=task, checked_items=[], uploads=[upload("../Slides.pdf", PDF)]
    )

    evidence = EvidenceFile.objects.get(progress=progress)
    assert (evidence.original_name, evidence.content_type, evidence.size) == (
        "Slides.pdf",
        "application/pdf",
        len(PDF),
    )
    assert evidence.file.name.startswith("learning/evidence/")
    assert STORAGE_NAME.match(evidence.file.name.rsplit("/", 1)[1])
    with evidence.file.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.django_db
def test_evidence_of_a_type_not_allowed_for_evidence_is_refused(make_person):
    pm, candidate = make_person("program_manager"), make_person("trainer")
    program, (task,) = build_path(pm, [{"kind": "teach_back"}])
    enrolment = enrol(open_cohort(program, pm), candidate, pm)
    with pytest.raises(ApplicationError) as exc:
        progress_svc.task_submit(
            enrolment=enrolment, step=task, checked_items=[], uploads=[upload("list.csv", b"a,b\n")]
        )
    assert exc.value.code == "upload_type"
    assert EvidenceFile.objects.count() == 0
