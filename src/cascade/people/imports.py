"""Bulk import of people from CSV: parse, check every row against the database, then apply.

The rules a program manager sees on the import page:

- the header names seven columns (any order, any case): name, email, org_unit, manager_email,
  roles, region, languages;
- people are matched on email (case-insensitive): unknown emails are created, known ones
  updated, and a row that would change nothing writes nothing, so importing a file twice is a
  no-op;
- a row states the whole record: afterwards the person has exactly that name, org unit,
  manager (empty: none), region, languages and roles (at least one role is required, so an
  empty cell never strips someone's roles by accident);
- a program manager role granted by a file is scoped to the person's org unit (the whole
  organisation when there is none); an existing program manager keeps the scope they have;
- nothing is written unless every row is valid;
- people are not notified one by one (a nightly sync of 5,000 rows must not send 5,000
  emails): the one audit entry of the import records every change, before and after.

Checking reads the database a fixed number of times per 2,000 rows (people by email, all org
units, manager chains level by level) rather than once per row, and writing is bulk, so a
5,000-row file previews and imports in a few seconds.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.people import rules
from cascade.people.forms import parse_languages
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

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
CHUNK = 2000  # below SQLite's bound-parameter limit, and kind to PostgreSQL's planner
MAX_MANAGER_HOPS = 50
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

PERSON_FIELDS = ("display_name", "org_unit", "manager", "region", "languages")
# Fields an import sets that the model can check without a query (units and managers are
# checked above, uniqueness by the database).
CHECKED_FIELDS = frozenset({"email", "display_name", "region", "languages"})

T = TypeVar("T")


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


def _decode(csv_bytes: bytes) -> tuple[str, str | None]:
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


def _parse(text: str, report: ImportReport) -> None:
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


# --- Checking against the database ----------------------------------------------------------


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


Held = tuple[int, str, str | None]  # (assignment id, role, path of its org unit)


@dataclass
class _Known:
    """What the database says about the people a file mentions, read in bulk."""

    people: dict[str, Person]  # by lower-cased email
    roles: dict[int, list[Held]]  # by person id

    def roles_of(self, person: Person) -> list[Held]:
        return self.roles.get(person.pk, [])


def _load_people(emails: Iterable[str], *, lock: bool) -> _Known:
    """People by email and their roles: two light queries per chunk, no model per role."""
    people: dict[str, Person] = {}
    for chunk in _chunks(sorted(set(emails))):
        qs = (
            Person.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .only("pk", "email", *PERSON_FIELDS)
        )
        if lock:
            qs = qs.select_for_update()
        people.update((p.email.lower(), p) for p in qs)
    roles: dict[int, list[Held]] = {}
    for id_chunk in _chunks(sorted(p.pk for p in people.values())):
        for pk, person_id, role, path in RoleAssignment.objects.filter(
            person_id__in=id_chunk
        ).values_list("pk", "person_id", "role", "org_unit__path"):
            roles.setdefault(person_id, []).append((pk, role, path))
    return _Known(people=people, roles=roles)


def _manager_chains(
    people: dict[str, Person], in_file: set[str]
) -> dict[int, tuple[str, int | None]]:
    """(email, manager id) of everyone above the loaded people outside the file, level by level.

    A loop can close through people the file does not mention (Ann's file manager is Bo, who
    already reports to Ann), so their current managers count too.
    """
    known: dict[int, tuple[str, int | None]] = {
        p.pk: (email, p.manager_id) for email, p in people.items()
    }
    pending = {
        p.manager_id
        for email, p in people.items()
        if email not in in_file and p.manager_id is not None and p.manager_id not in known
    }
    for _hop in range(MAX_MANAGER_HOPS):
        if not pending:
            break
        found: list[tuple[int, str, int | None]] = []
        for chunk in _chunks(sorted(pending)):
            found.extend(
                Person.objects.filter(pk__in=chunk).values_list("pk", "email", "manager_id")
            )
        pending = set()
        for pk, email, manager_id in found:
            known[pk] = (email.lower(), manager_id)
        for _pk, email, manager_id in found:
            if email.lower() not in in_file and manager_id is not None and manager_id not in known:
                pending.add(manager_id)
    return known


def _can_manage(
    person: Person, held: list[Held], unit_paths: dict[int, str], paths: list[str] | None
) -> bool:
    """``rules.can_manage_person`` with everything read once, not once per row."""
    if paths is None:
        return True
    unit_path = unit_paths.get(person.org_unit_id) if person.org_unit_id else None
    if unit_path is None or not any(unit_path.startswith(p) for p in paths):
        return False
    return all(
        path is not None and any(path.startswith(p) for p in paths)
        for _pk, role, path in held
        if role == Role.PROGRAM_MANAGER
    )


def _resolve_units(rows: list[ImportRow], paths: list[str] | None) -> dict[int, str]:
    """Match each row's org unit (code, any case, or exact name); returns every unit's path."""
    by_code: dict[str, OrgUnit] = {}
    by_name: dict[str, list[OrgUnit]] = {}
    units = list(OrgUnit.objects.only("pk", "code", "name", "path"))
    for unit in units:
        by_code[unit.code.lower()] = unit
        by_name.setdefault(unit.name, []).append(unit)
    for row in rows:
        raw = row.org_unit
        if raw:
            named = by_name.get(raw, [])
            if raw.lower() in by_code:
                row.unit = by_code[raw.lower()]
            elif len(named) == 1:
                row.unit = named[0]
            elif named:
                row.errors.append(
                    _("org_unit: %(count)s org units are named “%(unit)s”; use its code.")
                    % {"count": len(named), "unit": raw}
                )
                continue
            else:
                row.errors.append(
                    _("org_unit: no org unit has the code or name “%(unit)s”.") % {"unit": raw}
                )
                continue
        if paths is None:
            continue
        if row.unit is None:
            row.errors.append(_("org_unit: choose one of the org units you manage."))
        elif not any(row.unit.path.startswith(p) for p in paths):
            row.errors.append(
                _(
                    "org_unit: you can only import people into your own org units; "
                    "“%(unit)s” is not one of them."
                )
                % {"unit": row.unit.name}
            )
    return {u.pk: u.path for u in units}


def _loop_text(loop: list[str]) -> str:
    shown = loop if len(loop) <= 8 else [*loop[:5], "…", *loop[-2:]]
    return " → ".join(shown)


def _find_loops(
    rows: dict[str, ImportRow],
    managers: dict[str, str],
    chains: dict[int, tuple[str, int | None]],
) -> None:
    """Flag every row whose manager chain, once imported, would come back round to it."""
    email_of = {pk: email for pk, (email, _m) in chains.items()}
    current = {
        email: email_of.get(manager_id) if manager_id is not None else None
        for email, manager_id in chains.values()
    }

    def manager_of(email: str) -> str | None:
        return managers.get(email) if email in rows else current.get(email)

    state: dict[str, bool] = {}  # False: on the walk in progress; True: known to end
    for start in rows:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = False
            path.append(node)
            node = manager_of(node)
        if node is not None and not state[node]:
            loop = path[path.index(node) :]
            for i, email in enumerate(loop):
                if email in rows:
                    rows[email].errors.append(
                        _("manager_email: the managers would go round in a loop: %(chain)s.")
                        % {"chain": _loop_text([*loop[i:], *loop[:i], email])}
                    )
        for seen in path:
            state[seen] = True


def _diff(row: ImportRow, person: Person, known: _Known) -> dict[str, list[Any]]:
    """What importing ``row`` would change about ``person`` (before, after)."""
    diff: dict[str, list[Any]] = {}
    if person.display_name != row.name:
        diff["display_name"] = [person.display_name, row.name]
    unit_id = row.unit.pk if row.unit is not None else None
    if person.org_unit_id != unit_id:
        diff["org_unit"] = [person.org_unit_id, unit_id]
    manager = known.people.get(row.manager_email) if row.manager_email else None
    if row.manager_email and manager is None:
        diff["manager"] = [person.manager_id, row.manager_email]  # created by this import
    elif person.manager_id != (manager.pk if manager is not None else None):
        diff["manager"] = [person.manager_id, manager.pk if manager is not None else None]
    if person.region != row.region:
        diff["region"] = [person.region, row.region]
    if sorted(set(person.languages or [])) != row.languages:
        diff["languages"] = [person.languages, row.languages]
    before = sorted({role for _pk, role, _path in known.roles_of(person)})
    if before != row.roles:
        diff["roles"] = [before, row.roles]
    return diff


def _model_errors(person: Person) -> list[str]:
    """The model's own field checks, as a safety net under the ones above."""
    try:
        person.full_clean(
            exclude=[f.name for f in Person._meta.fields if f.name not in CHECKED_FIELDS],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        return [
            f"{name}: {message}"
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def _check_against_database(report: ImportReport, actor: Person, *, lock: bool) -> _Known:
    """Add every error that needs the database and plan each valid row; returns people by email."""
    rows = report.rows
    paths = rules.managed_unit_paths(actor)
    unit_paths = _resolve_units(rows, paths)

    first: dict[str, ImportRow] = {}
    for row in rows:
        if not row.email:
            continue
        if row.email in first:
            row.errors.append(
                _("email: %(email)s is already on line %(line)s.")
                % {"email": row.email, "line": first[row.email].line}
            )
        else:
            first[row.email] = row

    known = _load_people([*first, *(r.manager_email for r in rows if r.manager_email)], lock=lock)
    people = known.people
    managers: dict[str, str] = {}
    for row in rows:
        if row.manager_email and row.manager_valid:
            if row.manager_email not in first and row.manager_email not in people:
                row.errors.append(
                    _(
                        "manager_email: nobody with the email %(email)s is in Cascade "
                        "or in this file."
                    )
                    % {"email": row.manager_email}
                )
            elif first.get(row.email) is row:
                managers[row.email] = row.manager_email
        existing = people.get(row.email) if first.get(row.email) is row else None
        if existing is None:
            continue
        row.person = existing
        if not _can_manage(existing, known.roles_of(existing), unit_paths, paths):
            row.errors.append(
                _(
                    "email: %(email)s is in Cascade outside the org units you manage; "
                    "you cannot change them."
                )
                % {"email": row.email}
            )
        if (
            existing.pk == actor.pk
            and row.roles
            and Role.PROGRAM_MANAGER not in row.roles
            and Role.PROGRAM_MANAGER in actor.roles
            and not actor.is_superuser
        ):
            row.errors.append(_("roles: you cannot remove your own program manager role."))

    _find_loops(first, managers, _manager_chains(people, set(first)))

    for row in rows:
        if row.errors:
            continue
        if row.person is None:
            person = Person(
                email=row.email,
                display_name=row.name,
                org_unit=row.unit,
                region=row.region,
                languages=row.languages,
            )
            manager = people.get(row.manager_email) if row.manager_email else None
            person.manager_id = manager.pk if manager is not None else None
            # As set_unusable_password(), without 40 calls to secrets.choice per person.
            person.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
            row.person = person
            row.action = RowAction.CREATE
        else:
            row.diff = _diff(row, row.person, known)
            if not row.diff:
                row.action = RowAction.UNCHANGED
                continue
            row.action = RowAction.UPDATE
            person = row.person
            person.display_name, person.org_unit = row.name, row.unit
            person.region, person.languages = row.region, row.languages
            manager = people.get(row.manager_email) if row.manager_email else None
            person.manager_id = manager.pk if manager is not None else None
        if errors := _model_errors(person):
            row.errors.extend(errors)
            row.action = None
    return known


# --- Writing --------------------------------------------------------------------------------


def _role_assignment(person: Person, role: str, unit: OrgUnit | None) -> RoleAssignment:
    # A program manager role from a file manages the person's own unit (see the module doc).
    return RoleAssignment(
        person=person, role=role, org_unit=unit if role == Role.PROGRAM_MANAGER else None
    )


def _create_managers_first(creates: list[ImportRow], ids: dict[str, int]) -> None:
    """Insert new people level by level, managers before their reports, so every row is
    written once with its manager already known (loops were refused while checking)."""
    pending = creates
    while pending:
        ready = [r for r in pending if not r.manager_email or r.manager_email in ids]
        if not ready:  # pragma: no cover - a loop would have been an error row
            raise RuntimeError("manager loop among new people")
        for row in ready:
            assert row.person is not None
            if row.manager_email:
                row.person.manager_id = ids[row.manager_email]
        Person.objects.bulk_create([r.person for r in ready if r.person], batch_size=500)
        ids.update({r.email: r.person.pk for r in ready if r.person})
        pending = [r for r in pending if r.email not in ids]


def _apply(report: ImportReport, actor: Person, known: _Known) -> None:
    """Write the planned rows in bulk; the caller's transaction makes it all or nothing."""
    creates = [r for r in report.rows if r.action == RowAction.CREATE]
    updates = [r for r in report.rows if r.action == RowAction.UPDATE]
    people = known.people
    ids = {email: p.pk for email, p in people.items()}
    try:
        _create_managers_first(creates, ids)
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "Someone added some of these people while you were importing. Nothing was "
                "imported; preview the file again."
            ),
            code="import_conflict",
            status=409,
        ) from exc
    for row in updates:
        assert row.person is not None
        if row.manager_email and row.manager_email not in people:
            row.person.manager_id = ids[row.manager_email]  # created just now
            row.diff["manager"][1] = row.person.manager_id
        # One UPDATE of just the changed columns: bulk_update's CASE expressions cost
        # seconds for thousands of rows, and untouched columns stay someone else's to change.
        if fields := [f for f in PERSON_FIELDS if f in row.diff]:
            row.person.save(update_fields=fields)

    assignments: list[RoleAssignment] = []
    removed: list[int] = []
    for row in creates:
        assert row.person is not None
        assignments.extend(_role_assignment(row.person, r, row.unit) for r in row.roles)
    role_changes = [r for r in updates if "roles" in r.diff]
    for row in role_changes:
        assert row.person is not None
        held = known.roles_of(row.person)
        removed.extend(pk for pk, role, _path in held if role not in row.roles)
        have = {role for _pk, role, _path in held}
        assignments.extend(
            _role_assignment(row.person, r, row.unit) for r in row.roles if r not in have
        )
    for chunk in _chunks(removed):
        RoleAssignment.objects.filter(pk__in=chunk).delete()
    RoleAssignment.objects.bulk_create(assignments, batch_size=500)

    for row in role_changes:
        assert row.person is not None
        row.person.__dict__.pop("roles", None)
    actor.__dict__.pop("roles", None)

    if creates or updates:
        audit_record(
            actor=actor,
            action="people.import",
            target=actor,
            changes={
                "counts": {
                    "created": len(creates),
                    "updated": len(updates),
                    "unchanged": report.unchanged,
                },
                "created": [
                    {"id": r.person.pk if r.person else None, "email": r.email, "roles": r.roles}
                    for r in creates
                ],
                "updated": [
                    {"id": r.person.pk if r.person else None, "email": r.email, "changes": r.diff}
                    for r in updates
                ],
            },
        )


@transaction.atomic
def people_import(*, csv_bytes: bytes, actor: Person, dry_run: bool) -> ImportReport:
    """Check a CSV of people row by row and, unless ``dry_run``, write all of it or none of it.

    The real run checks everything again under row locks, so what was previewed a minute ago
    cannot be written over changes made since.
    """
    if not actor.is_active or not actor.has_role(Role.PROGRAM_MANAGER):
        raise ApplicationError(
            _("Only program managers can import people."), code="forbidden", status=403
        )
    report = ImportReport(dry_run=dry_run)
    text, error = _decode(csv_bytes)
    if error is not None:
        report.file_errors.append(error)
        return report
    _parse(text, report)
    if report.file_errors:
        return report
    known = _check_against_database(report, actor, lock=not dry_run)
    if dry_run or not report.is_valid:
        return report
    _apply(report, actor, known)
    report.applied = True
    return report
