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

import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.people import rules
from cascade.people.import_csv import (
    ImportReport,
    ImportRow,
    RowAction,
    decode_csv,
    parse_rows,
)
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

CHUNK = 2000  # below SQLite's bound-parameter limit, and kind to PostgreSQL's planner
MAX_MANAGER_HOPS = 50

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
        row.person.forget_roles()
    actor.forget_roles()

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
    text, error = decode_csv(csv_bytes)
    if error is not None:
        report.file_errors.append(error)
        return report
    parse_rows(text, report)
    if report.file_errors:
        return report
    known = _check_against_database(report, actor, lock=not dry_run)
    if dry_run or not report.is_valid:
        return report
    _apply(report, actor, known)
    report.applied = True
    return report
