"""Reading a people CSV: the file's rules, the row and report records, and parsing (no queries
beyond the role list). ``cascade.people.imports`` checks the rows against the database and
writes them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cascade.people.forms import parse_languages
from cascade.people.models import OrgUnit, Person, Role

COLUMNS = ("name", "email", "org_unit", "manager_email", "roles", "region", "languages")
EXAMPLE_ROW = (
    "Robin Example",
    "robin@example.org",
    "north-ward",
    "morgan@example.org",
    "learner; trainer",
    "North",
    "en, fr",
)


_ROLE_SEPARATORS = re.compile(r"[;|,]")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and legacy .xls

CHANGE_LABELS = {
    "display_name": gettext_lazy("name"),
    "org_unit": gettext_lazy("org unit"),
    "manager": gettext_lazy("manager"),
    "region": gettext_lazy("region"),
    "languages": gettext_lazy("languages"),
    "roles": gettext_lazy("roles"),
}


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass
class ImportRow:
    """One data row of the file: what it says, what is wrong with it, and what it would do."""

    line: int
    name: str = ""
    email: str = ""
    org_unit: str = ""
    manager_email: str = ""
    roles: list[str] = field(default_factory=list)
    region: str = ""
    languages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    action: RowAction | None = None
    diff: dict[str, list[Any]] = field(default_factory=dict)
    unit: OrgUnit | None = field(default=None, repr=False)
    person: Person | None = field(default=None, repr=False)
    manager_valid: bool = field(default=True, repr=False)

    @property
    def unit_label(self) -> str:
        return self.unit.name if self.unit is not None else self.org_unit

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles]

    @property
    def change_labels(self) -> list[str]:
        return [str(CHANGE_LABELS[c]) for c in self.diff]


@dataclass
class ImportReport:
    """The outcome of a preview or an import; ``applied`` is True only once rows are written."""

    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.error_rows

    def _count(self, action: RowAction) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.errors)

    @property
    def created(self) -> int:
        return self._count(RowAction.CREATE)

    @property
    def updated(self) -> int:
        return self._count(RowAction.UPDATE)

    @property
    def unchanged(self) -> int:
        return self._count(RowAction.UNCHANGED)

    @property
    def to_change(self) -> int:
        return self.created + self.updated


# --- Reading the file -----------------------------------------------------------------------


def decode_csv(csv_bytes: bytes) -> tuple[str, str | None]:
    """The file as text, or an error a person can act on (size, workbook, encoding)."""
    limit = settings.CASCADE_IMPORT_MAX_BYTES
    if len(csv_bytes) > limit:
        return "", _(
            "The file is %(size)s; the limit is %(limit)s. Split it into smaller files."
        ) % {
            "size": filesizeformat(len(csv_bytes)),
            "limit": filesizeformat(limit),
        }
    if csv_bytes.startswith(_WORKBOOK_MAGIC):
        return "", _(
            "This is a spreadsheet workbook, not a CSV file. In your spreadsheet program choose "
            "“Save as” and the format “CSV UTF-8”, then upload that file."
        )
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = csv_bytes.count(b"\n", 0, exc.start) + 1
        return "", _(
            "The file is not UTF-8 text (the first unreadable character is on line %(line)s). "
            "Save it again with the format “CSV UTF-8” and upload that file."
        ) % {"line": line}
    if "\x00" in text:
        return "", _("The file contains binary data; it is not a CSV text file.")
    if not text.strip():
        return "", _("The file is empty.")
    return text, None


def _column_key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").replace("_", " ").split())


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab that some spreadsheet locales write instead."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def _header_errors(header: list[str]) -> list[str]:
    errors = []
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    twice = sorted({h for h in header if h in COLUMNS and header.count(h) > 1})
    if missing:
        errors.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        errors.append(
            _("Columns that are not known: %(columns)s.")
            % {"columns": ", ".join(h or _("(empty)") for h in unknown)}
        )
    if twice:
        errors.append(_("Columns named twice: %(columns)s.") % {"columns": ", ".join(twice)})
    if errors:
        if missing and any("@" in h for h in header):
            errors.append(_("The first line must be the header, not a person."))
        errors.append(
            _("The header must name these columns: %(columns)s.") % {"columns": ", ".join(COLUMNS)}
        )
    return errors


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each non-blank record; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvError(reader.line_num or start, str(exc)) from exc
        if any(c.strip() for c in cells):
            yield start, cells


class _CsvError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _norm(value: str) -> str:
    return " ".join(value.lower().replace("_", " ").replace("-", " ").split())


def _role_lookup() -> dict[str, str]:
    """Role values and labels (in the current language and in English) to role values."""
    lookup: dict[str, str] = {}
    for value, label in Role.choices:
        lookup[_norm(value)] = value
        lookup[_norm(str(label))] = value
    with translation.override("en"):
        for value, label in Role.choices:
            lookup[_norm(str(label))] = value
    return lookup


def _check_email(value: str, column: str) -> str | None:
    if len(value) > 254:
        return _("%(column)s: the email address is too long.") % {"column": column}
    try:
        validate_email(value)
    except ValidationError:
        return _("%(column)s: “%(value)s” is not a valid email address.") % {
            "column": column,
            "value": value,
        }
    return None


def _parse_row(line: int, cells: list[str], header: list[str], roles: dict[str, str]) -> ImportRow:
    """Read one record into a row, with every error that needs no database."""
    row = ImportRow(line=line)
    width = len(header)
    if len(cells) < width or any(c.strip() for c in cells[width:]):
        row.errors.append(
            _("This row has %(found)s values; the header has %(expected)s columns.")
            % {"found": len(cells), "expected": width}
        )
    value = {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(header)}

    row.name = value["name"]
    if not row.name:
        row.errors.append(_("name: a name is required."))
    elif len(row.name) > 150:
        row.errors.append(_("name: at most 150 characters."))

    row.email = value["email"].lower()
    if not row.email:
        row.errors.append(_("email: an email address is required."))
    elif error := _check_email(row.email, "email"):
        row.errors.append(error)

    row.manager_email = value["manager_email"].lower()
    if row.manager_email:
        if error := _check_email(row.manager_email, "manager_email"):
            row.errors.append(error)
            row.manager_valid = False
        elif row.manager_email == row.email:
            row.errors.append(_("manager_email: a person cannot be their own manager."))
            row.manager_valid = False

    row.org_unit = value["org_unit"]

    raw_roles = [r.strip() for r in _ROLE_SEPARATORS.split(value["roles"]) if r.strip()]
    if not raw_roles:
        row.errors.append(_("roles: at least one role is required, e.g. learner."))
    unknown = [r for r in raw_roles if _norm(r) not in roles]
    if unknown:
        row.errors.append(
            _("roles: unknown role %(roles)s; use %(known)s.")
            % {
                "roles": ", ".join(f"“{r}”" for r in unknown),
                "known": ", ".join(str(label) for label in Role.labels),
            }
        )
    row.roles = sorted({roles[_norm(r)] for r in raw_roles if _norm(r) in roles})

    row.region = value["region"]
    if len(row.region) > 80:
        row.errors.append(_("region: at most 80 characters."))

    row.languages = parse_languages(value["languages"])
    bad = [c for c in row.languages if not (2 <= len(c) <= 8 and c.replace("-", "").isalpha())]
    if bad:
        row.errors.append(
            _("languages: not a language code: %(codes)s.") % {"codes": ", ".join(bad)}
        )
    return row


def parse_rows(text: str, report: ImportReport) -> None:
    """Fill ``report.rows`` from the text, or ``report.file_errors`` when the file is unusable."""
    records = _records(text)
    try:
        first = next(records, None)
        if first is None:
            report.file_errors.append(_("The file is empty."))
            return
        header = [_column_key(h) for h in first[1]]
        while header and not header[-1]:
            header.pop()  # spreadsheets like to add empty trailing columns
        if errors := _header_errors(header):
            report.file_errors.extend(errors)
            return
        roles = _role_lookup()
        report.rows = [_parse_row(line, cells, header, roles) for line, cells in records]
    except _CsvError as exc:
        report.rows = []
        report.file_errors.append(
            _("Line %(line)s cannot be read as CSV: %(reason)s.")
            % {"line": exc.line, "reason": exc.reason}
        )
        return
    if not report.rows:
        report.file_errors.append(_("The file has a header but no people in it."))
