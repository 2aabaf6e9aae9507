"""CSV import of people: the service (parse, check, plan, write) and the page around it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry, Notification
from cascade.people.import_csv import COLUMNS, RowAction
from cascade.people.imports import people_import
from cascade.people.models import OrgUnit, Person, RoleAssignment
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory, RoleAssignmentFactory

HEADER = ",".join(COLUMNS)
URL = "/people/import/"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _snapshot() -> dict[str, Any]:
    """Everything an import could have written."""
    return {
        "people": list(Person.objects.order_by("pk").values()),
        "roles": sorted(RoleAssignment.objects.values_list("person_id", "role", "org_unit_id")),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
    }


@pytest.fixture
def units(db: None) -> dict[str, OrgUnit]:
    """North > Ward, and South."""
    north = OrgUnitFactory(name="North", code="north")
    ward = OrgUnitFactory(name="Ward 3", code="north-ward", parent=north)
    south = OrgUnitFactory(name="South", code="south")
    return {"north": north, "ward": ward, "south": south}


@pytest.fixture
def pm(program_manager: Person) -> Person:
    return program_manager


def _scoped_pm(unit: OrgUnit, **kwargs: Any) -> Person:
    person = PersonFactory(org_unit=unit, **kwargs)
    RoleAssignmentFactory(person=person, role="program_manager", org_unit=unit)
    return person


def _errors(report: Any) -> dict[int, list[str]]:
    return {r.line: r.errors for r in report.rows if r.errors}


# --- Happy paths ----------------------------------------------------------------------------


def test_preview_plans_every_row_and_writes_nothing(units, pm):
    # given one person already in Cascade, unchanged by the file, and one to update
    PersonFactory(
        email="kim@example.org",
        display_name="Kim Same",
        org_unit=units["north"],
        region="North",
        languages=["en"],
        roles=["learner"],
    )
    PersonFactory(email="lou@example.org", display_name="Lou Old", roles=["learner"])
    data = _csv(
        "Ann New,ann@example.org,north,,learner,North,en",
        "Kim Same,kim@example.org,north,,learner,North,en",
        "Lou New Name,LOU@example.org,north-ward,,trainer;learner,,",
    )
    before = _snapshot()

    # when the program manager previews it
    report = people_import(csv_bytes=data, actor=pm, dry_run=True)

    # then each row has its plan and nothing was written
    assert report.is_valid
    assert report.applied is False
    assert [(r.line, r.email, r.action) for r in report.rows] == [
        (2, "ann@example.org", RowAction.CREATE),
        (3, "kim@example.org", RowAction.UNCHANGED),
        (4, "lou@example.org", RowAction.UPDATE),
    ]
    assert report.rows[2].change_labels == ["name", "org unit", "roles"]
    assert (report.created, report.updated, report.unchanged, report.to_change) == (1, 1, 1, 2)
    assert _snapshot() == before


def test_import_creates_people_with_every_field_and_one_audit_entry(units, pm):
    # given a manager already in Cascade
    morgan = PersonFactory(email="morgan@example.org", display_name="Morgan Boss")
    data = _csv(
        'Ann Example,Ann@Example.org,north-ward,morgan@example.org,Learner|trainer,North,"fr, en"',
        "Bo Example,bo@example.org,South,,master_trainer,,",
    )

    # when the program manager imports it
    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    # then both people exist exactly as the file says, without a usable password
    assert report.applied is True
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    ann = Person.objects.get(email="ann@example.org")
    assert ann.display_name == "Ann Example"
    assert ann.org_unit == units["ward"]
    assert ann.manager == morgan
    assert ann.region == "North"
    assert ann.languages == ["en", "fr"]
    assert ann.has_usable_password() is False
    assert sorted(ann.roles) == ["learner", "trainer"]
    bo = Person.objects.get(email="bo@example.org")
    assert (bo.org_unit, bo.manager, bo.region, bo.languages) == (units["south"], None, "", [])
    assert sorted(bo.roles) == ["master_trainer"]
    # and one audit entry tells who imported what
    entry = AuditEntry.objects.get()
    assert entry.action == "people.import"
    assert entry.actor == pm
    assert (entry.target_type, entry.target_id) == ("people.person", str(pm.pk))
    assert entry.changes == {
        "counts": {"created": 2, "updated": 0, "unchanged": 0},
        "created": [
            {"id": ann.pk, "email": "ann@example.org", "roles": ["learner", "trainer"]},
            {"id": bo.pk, "email": "bo@example.org", "roles": ["master_trainer"]},
        ],
        "updated": [],
    }


def test_reimporting_the_same_file_changes_nothing(units, pm):
    # given a file that was imported once, with a manager defined further down
    data = _csv(
        "Ann Example,ann@example.org,north,bo@example.org,learner;trainer,North,en",
        'Bo Example,bo@example.org,north,,manager,North,"en,fr"',
    )
    first = people_import(csv_bytes=data, actor=pm, dry_run=False)
    assert (first.created, first.updated) == (2, 0)
    before = _snapshot()

    # when the same file is imported again
    again = people_import(csv_bytes=data, actor=pm, dry_run=False)

    # then every row is unchanged and nothing at all was written (no audit entry either)
    assert again.applied is True
    assert [r.action for r in again.rows] == [RowAction.UNCHANGED, RowAction.UNCHANGED]
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _snapshot() == before
    assert AuditEntry.objects.filter(action="people.import").count() == 1


def test_manager_defined_later_in_the_file_is_linked(units, pm):
    data = _csv(
        "Ann Example,ann@example.org,north,cy@example.org,learner,,",
        "Bo Example,bo@example.org,north,cy@example.org,learner,,",
        "Cy Boss,cy@example.org,north,,manager,,",
    )

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    assert report.applied is True
    cy = Person.objects.get(email="cy@example.org")
    assert sorted(Person.objects.filter(manager=cy).values_list("email", flat=True)) == [
        "ann@example.org",
        "bo@example.org",
    ]
    assert cy.manager is None


def test_update_replaces_fields_and_roles_and_the_audit_entry_keeps_before_and_after(units, pm):
    # given Lou, a learner in South reporting to Morgan, and a new manager Cy in the file
    morgan = PersonFactory(email="morgan@example.org")
    lou = PersonFactory(
        email="lou@example.org",
        display_name="Lou Old",
        org_unit=units["south"],
        manager=morgan,
        region="South",
        languages=["de"],
        roles=["learner"],
    )
    data = _csv(
        "Lou New,LOU@EXAMPLE.ORG,north,cy@example.org,Trainer,North,en",
        "Cy Boss,cy@example.org,north,,manager,,",
    )

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    # then Lou has exactly what the file says (roles replaced, not added)
    assert [r.action for r in report.rows] == [RowAction.UPDATE, RowAction.CREATE]
    lou.refresh_from_db()
    lou.forget_roles()
    cy = Person.objects.get(email="cy@example.org")
    assert (lou.display_name, lou.org_unit, lou.manager) == ("Lou New", units["north"], cy)
    assert (lou.region, lou.languages, sorted(lou.roles)) == ("North", ["en"], ["trainer"])
    # and nobody is notified one by one: the audit entry keeps before and after
    assert Notification.objects.count() == 0
    entry = AuditEntry.objects.get(action="people.import")
    assert entry.changes["updated"] == [
        {
            "id": lou.pk,
            "email": "lou@example.org",
            "changes": {
                "display_name": ["Lou Old", "Lou New"],
                "org_unit": [units["south"].pk, units["north"].pk],
                "manager": [morgan.pk, cy.pk],
                "region": ["South", "North"],
                "languages": [["de"], ["en"]],
                "roles": [["learner"], ["trainer"]],
            },
        }
    ]
    assert entry.changes["counts"] == {"created": 1, "updated": 1, "unchanged": 0}


def test_header_is_case_insensitive_in_any_order_and_roles_take_labels(units, pm):
    header = "Roles, EMAIL ,Name,Org Unit,manager-email,Languages,REGION"
    data = _csv(
        '"Program Manager| learner",ann@example.org,Ann,Ward 3,,en,',
        "program manager; LEARNER,bo@example.org,Bo,north,,,",
        "Master-Trainer,cy@example.org,Cy,north,,,",
        header=header,
    )

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    assert report.applied is True
    assert [r.roles for r in report.rows] == [
        ["learner", "program_manager"],
        ["learner", "program_manager"],
        ["master_trainer"],
    ]
    # a program manager role from a file manages the person's own unit
    assert sorted(
        RoleAssignment.objects.filter(role="program_manager")
        .exclude(person=pm)
        .values_list("person__email", "org_unit__code")
    ) == [("ann@example.org", "north-ward"), ("bo@example.org", "north")]


def test_utf8_with_bom_semicolons_and_quoted_line_breaks_are_read(units, pm):
    data = (
        "\ufeffname;email;org_unit;manager_email;roles;region;languages\r\n"
        'Zoë "Zo" Ünal;zoe@example.org;north;;learner|trainer;"Nord,\r\nOuest";"en, fr"\r\n'
        "\r\n"
        "Ann;ann@example.org;north;;learner;;\r\n"
    ).encode()

    report = people_import(csv_bytes=data, actor=pm, dry_run=True)

    assert report.file_errors == []
    assert [(r.line, r.name, r.region, r.languages) for r in report.rows] == [
        (2, 'Zoë "Zo" Ünal', "Nord,\r\nOuest", ["en", "fr"]),
        (5, "Ann", "", []),
    ]
    assert report.is_valid


# --- Malformed files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf \r\n\r\n", "The file is empty."),
        (HEADER.encode() + b"\n", "The file has a header but no people in it."),
        (HEADER.encode() + b"\n,,,,,,\n\n", "The file has a header but no people in it."),
        (
            b"name,email\n\xff\xfeAnn,ann@example.org\n",
            "The file is not UTF-8 text (the first unreadable character is on line 2). Save it "
            "again with the format “CSV UTF-8” and upload that file.",
        ),
        (
            "name,email\nJosé,jose@example.org\n".encode("latin-1"),
            "The file is not UTF-8 text (the first unreadable character is on line 2). Save it "
            "again with the format “CSV UTF-8” and upload that file.",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "This is a spreadsheet workbook, not a CSV file. In your spreadsheet program choose "
            "“Save as” and the format “CSV UTF-8”, then upload that file.",
        ),
        (b"name,email\x00\n", "The file contains binary data; it is not a CSV text file."),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(units, pm, data, message):
    before = _snapshot()

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    assert report.file_errors == [message]
    assert (report.rows, report.is_valid, report.applied) == ([], False, False)
    assert _snapshot() == before


def test_a_20_mb_file_is_refused_before_it_is_read(units, pm):
    row = b"Ann Example,ann@example.org,north,,learner,North,en\n"
    data = HEADER.encode() + b"\n" + row * (20 * 1024 * 1024 // len(row))
    before = _snapshot()

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    assert report.file_errors == [
        "The file is 20.0\xa0MB; the limit is 2.0\xa0MB. Split it into smaller files."
    ]
    assert report.rows == []
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("header", "errors"),
    [
        (
            "name,email,org_unit,roles",
            [
                "Missing columns: manager_email, region, languages.",
                "The header must name these columns: name, email, org_unit, manager_email, "
                "roles, region, languages.",
            ],
        ),
        (
            "name,e-mail address,org_unit,manager,roles,region,languages",
            [
                "Missing columns: email, manager_email.",
                "Columns that are not known: e_mail_address, manager.",
                "The header must name these columns: name, email, org_unit, manager_email, "
                "roles, region, languages.",
            ],
        ),
        (
            f"{HEADER},email",
            [
                "Columns named twice: email.",
                "The header must name these columns: name, email, org_unit, manager_email, "
                "roles, region, languages.",
            ],
        ),
        (
            "Ann,ann@example.org,north,,learner,,",
            [
                "Missing columns: name, email, org_unit, manager_email, roles, region, languages.",
                "Columns that are not known: ann, ann@example.org, north, (empty), learner.",
                "The first line must be the header, not a person.",
                "The header must name these columns: name, email, org_unit, manager_email, "
                "roles, region, languages.",
            ],
        ),
    ],
)
def test_wrong_columns_are_named(units, pm, header, errors):
    before = _snapshot()

    report = people_import(
        csv_bytes=_csv("Ann,ann@example.org,north,,learner,,", header=header),
        actor=pm,
        dry_run=False,
    )

    assert report.file_errors == errors
    assert _snapshot() == before


def test_a_cell_too_big_for_csv_is_a_file_error_with_its_line(units, pm):
    data = _csv("Ann,ann@example.org,north,,learner,,", f"{'x' * 200_000},b@example.org,,,,,")

    report = people_import(csv_bytes=data, actor=pm, dry_run=True)

    assert report.file_errors == [
        "Line 3 cannot be read as CSV: field larger than field limit (131072)."
    ]
    assert report.rows == []


def test_trailing_empty_columns_from_spreadsheets_are_ignored(units, pm):
    data = _csv("Ann,ann@example.org,north,,learner,,,,", header=f"{HEADER},,")

    report = people_import(csv_bytes=data, actor=pm, dry_run=True)

    assert report.is_valid


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_written(units, pm):
    # given a file where only the first row is right
    PersonFactory(email="morgan@example.org")
    data = _csv(
        "Ann Good,ann@example.org,north,morgan@example.org,learner,,en",
        "Bad Email,not-an-email,north,,learner,,",
        ",,north,,learner,,",
        "Unknown Boss,bo@example.org,north,ghost@example.org,learner,,",
        "Twice,ANN@example.org,north,,learner,,",
        "No Unit,cy@example.org,nowhere,,learner,,",
        "Odd Role,di@example.org,north,,learner;wizard,,",
        "No Role,ed@example.org,north,,,,",
        "Bad Lang,fa@example.org,north,,learner,,english language",
        "Short,ga@example.org,north",
        "Own Boss,hu@example.org,north,hu@example.org,learner,,",
        "Bad Boss,io@example.org,north,boss@,learner,,",
        f"{'x' * 151},ja@example.org,north,,learner,{'r' * 81},",
    )
    before = _snapshot()

    # when it is imported for real
    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    # then each problem is on its line, and nothing was written (not even the good row)
    assert report.applied is False
    assert _errors(report) == {
        3: ["email: “not-an-email” is not a valid email address."],
        4: ["name: a name is required.", "email: an email address is required."],
        5: [
            "manager_email: nobody with the email ghost@example.org is in Cascade or in this file."
        ],
        6: ["email: ann@example.org is already on line 2."],
        7: ["org_unit: no org unit has the code or name “nowhere”."],
        8: [
            "roles: unknown role “wizard”; use Program manager, Master trainer, Trainer, "
            "Learner, Manager."
        ],
        9: ["roles: at least one role is required, e.g. learner."],
        10: ["languages: not a language code: english language."],
        11: [
            "This row has 3 values; the header has 7 columns.",
            "roles: at least one role is required, e.g. learner.",
        ],
        12: ["manager_email: a person cannot be their own manager."],
        13: ["manager_email: “boss@” is not a valid email address."],
        14: ["name: at most 150 characters.", "region: at most 80 characters."],
    }
    assert report.rows[0].action == RowAction.CREATE
    assert len(report.error_rows) == 12
    assert _snapshot() == before


def test_extra_values_beyond_the_header_are_an_error(units, pm):
    report = people_import(
        csv_bytes=_csv("Ann,ann@example.org,north,,learner,,,surprise"), actor=pm, dry_run=True
    )

    assert _errors(report) == {2: ["This row has 8 values; the header has 7 columns."]}


def test_org_unit_matches_code_case_insensitively_or_exact_name_and_refuses_ambiguous_names(
    units, pm
):
    OrgUnitFactory(name="Annex", code="annex-a")
    OrgUnitFactory(name="Annex", code="annex-b")
    data = _csv(
        "A,a@example.org,NORTH-WARD,,learner,,",
        "B,b@example.org,Ward 3,,learner,,",
        "C,c@example.org,ward 3,,learner,,",
        "D,d@example.org,Annex,,learner,,",
        "E,e@example.org,annex-b,,learner,,",
        "F,f@example.org,,,learner,,",
    )

    report = people_import(csv_bytes=data, actor=pm, dry_run=True)

    assert [r.unit.code if r.unit else None for r in report.rows] == [
        "north-ward",
        "north-ward",
        None,
        None,
        "annex-b",
        None,
    ]
    assert _errors(report) == {
        4: ["org_unit: no org unit has the code or name “ward 3”."],
        5: ["org_unit: 2 org units are named “Annex”; use its code."],
    }


def test_manager_loops_inside_the_file_are_found(units, pm):
    data = _csv(
        "Ann,ann@example.org,north,bo@example.org,learner,,",
        "Bo,bo@example.org,north,cy@example.org,learner,,",
        "Cy,cy@example.org,north,ann@example.org,learner,,",
        "Di,di@example.org,north,ann@example.org,learner,,",
    )
    before = _snapshot()

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    loop = "manager_email: the managers would go round in a loop: {}."
    assert _errors(report) == {
        2: [loop.format("ann@example.org → bo@example.org → cy@example.org → ann@example.org")],
        3: [loop.format("bo@example.org → cy@example.org → ann@example.org → bo@example.org")],
        4: [loop.format("cy@example.org → ann@example.org → bo@example.org → cy@example.org")],
    }
    assert _snapshot() == before


def test_manager_loops_through_people_already_in_cascade_are_found(units, pm):
    # given Ann, and Xu who reports to Yan who reports to Ann
    ann = PersonFactory(email="ann@example.org", display_name="Ann", roles=["learner"])
    yan = PersonFactory(email="yan@example.org", manager=ann)
    PersonFactory(email="xu@example.org", manager=yan)

    # when a file makes Ann report to Xu
    report = people_import(
        csv_bytes=_csv("Ann,ann@example.org,,xu@example.org,learner,,"), actor=pm, dry_run=True
    )

    assert _errors(report) == {
        2: [
            "manager_email: the managers would go round in a loop: ann@example.org → "
            "xu@example.org → yan@example.org → ann@example.org."
        ]
    }


def test_a_manager_swap_inside_the_file_is_not_a_loop(units, pm):
    # given Bo reports to Ann today; the file turns it around
    ann = PersonFactory(email="ann@example.org", display_name="Ann", roles=["manager"])
    PersonFactory(email="bo@example.org", display_name="Bo", manager=ann, roles=["learner"])
    data = _csv(
        "Ann,ann@example.org,,bo@example.org,manager,,",
        "Bo,bo@example.org,,,learner,,",
    )

    report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    assert report.applied is True
    assert Person.objects.get(email="ann@example.org").manager.email == "bo@example.org"
    assert Person.objects.get(email="bo@example.org").manager is None


# --- Program-manager scope ------------------------------------------------------------------


def test_scoped_program_manager_imports_only_into_their_units(units):
    # given a program manager of North, South's Sol, and North's Nia
    north_pm = _scoped_pm(units["north"], email="npm@example.org")
    PersonFactory(email="sol@example.org", org_unit=units["south"], roles=["learner"])
    PersonFactory(email="nia@example.org", org_unit=units["ward"], roles=["learner"])
    south_pm = _scoped_pm(units["south"], email="spm@example.org")
    wide_pm = PersonFactory(email="wide@example.org", org_unit=units["ward"])
    RoleAssignmentFactory(person=wide_pm, role="program_manager", org_unit=None)
    data = _csv(
        "Ann,ann@example.org,north-ward,,learner;program manager,,",
        "Bo,bo@example.org,south,,learner,,",
        "Cy,cy@example.org,,,learner,,",
        "Sol,sol@example.org,north,,learner,,",
        "Nia,nia@example.org,north,,learner,,",
        f"South PM,{south_pm.email},north,,learner,,",
        f"Wide PM,{wide_pm.email},north,,program_manager,,",
    )
    before = _snapshot()

    report = people_import(csv_bytes=data, actor=north_pm, dry_run=False)

    outside = "you cannot change them."
    assert _errors(report) == {
        3: [
            "org_unit: you can only import people into your own org units; “South” is not "
            "one of them."
        ],
        4: ["org_unit: choose one of the org units you manage."],
        5: [f"email: sol@example.org is in Cascade outside the org units you manage; {outside}"],
        7: [f"email: spm@example.org is in Cascade outside the org units you manage; {outside}"],
        8: [f"email: wide@example.org is in Cascade outside the org units you manage; {outside}"],
    }
    assert [r.action for r in report.rows if not r.errors] == [RowAction.CREATE, RowAction.UPDATE]
    assert _snapshot() == before


def test_scoped_program_manager_grants_program_management_only_in_their_units(units):
    north_pm = _scoped_pm(units["north"], email="npm@example.org")

    report = people_import(
        csv_bytes=_csv("Ann,ann@example.org,north-ward,,program_manager,,"),
        actor=north_pm,
        dry_run=False,
    )

    assert report.applied is True
    assert list(
        RoleAssignment.objects.filter(person__email="ann@example.org").values_list(
            "role", "org_unit__code"
        )
    ) == [("program_manager", "north-ward")]


def test_a_program_manager_cannot_remove_their_own_role(units, pm):
    before = _snapshot()

    report = people_import(
        csv_bytes=_csv(f"Pat Manager,{pm.email},,,learner,,"), actor=pm, dry_run=False
    )

    assert _errors(report) == {2: ["roles: you cannot remove your own program manager role."]}
    assert _snapshot() == before


def test_an_existing_program_manager_keeps_their_scope(units, pm):
    north_pm = _scoped_pm(units["north"], email="npm@example.org", display_name="Nat")

    report = people_import(
        csv_bytes=_csv("Nat,npm@example.org,south,,program_manager;trainer,,"),
        actor=pm,
        dry_run=False,
    )

    assert report.applied is True
    assert sorted(
        RoleAssignment.objects.filter(person=north_pm).values_list("role", "org_unit_id")
    ) == [("program_manager", units["north"].pk), ("trainer", None)]


@pytest.mark.parametrize("role", ["learner", "trainer", "manager", "master_trainer"])
def test_only_program_managers_may_import(make_person, role):
    person = make_person(role)

    with pytest.raises(ApplicationError) as exc:
        people_import(csv_bytes=_csv("A,a@example.org,,,learner,,"), actor=person, dry_run=True)

    assert (exc.value.code, exc.value.status) == ("forbidden", 403)
    assert not Person.objects.filter(email="a@example.org").exists()


# --- Scale and robustness -------------------------------------------------------------------


def _big_file(count: int) -> bytes:
    rows = [
        f"Person {i},p{i}@example.org,{'north' if i % 2 else 'north-ward'},"
        f"{'' if i < 10 else f'p{i % 10}@example.org'},learner;trainer,Region {i % 7},en"
        for i in range(count)
    ]
    return _csv(*rows)


def test_checking_reads_the_database_a_fixed_number_of_times(units, pm):
    def queries(count: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            actor = Person.objects.get(pk=pm.pk)  # no roles cached from an earlier call
            report = people_import(csv_bytes=_big_file(count), actor=actor, dry_run=True)
        assert report.is_valid
        return len(ctx.captured_queries)

    assert queries(20) == queries(1500)


def test_five_thousand_rows_are_previewed_imported_and_updated_in_bulk(units, pm):
    # Speed is measured by `bench`, not timed here: this asserts the work is done in bulk
    # (a bounded number of queries), which is what keeps it fast.
    # given a file of 5,000 new people, most of them reporting to one of the first ten
    data = _big_file(5000)

    # when it is previewed and imported
    preview = people_import(csv_bytes=data, actor=pm, dry_run=True)
    with CaptureQueriesContext(connection) as ctx:
        report = people_import(csv_bytes=data, actor=pm, dry_run=False)

    # then everyone is there, in bulk (SQLite inserts at most 999 values per statement)
    assert preview.is_valid
    assert (report.applied, report.created) == (True, 5000)
    assert Person.objects.exclude(pk=pm.pk).count() == 5000
    assert RoleAssignment.objects.exclude(person=pm).count() == 10000
    assert Person.objects.get(email="p123@example.org").manager.email == "p3@example.org"
    assert len(ctx.captured_queries) < 160

    # and the same file again changes nothing, with few queries
    with CaptureQueriesContext(connection) as again_ctx:
        again = people_import(csv_bytes=data, actor=pm, dry_run=False)
    assert again.unchanged == 5000
    assert len(again_ctx.captured_queries) < 40

    # and a file that changes all 5,000 updates them all
    changed = data.replace(b"learner;trainer", b"learner").replace(b"Region", b"Area")
    updated = people_import(csv_bytes=changed, actor=pm, dry_run=False)
    assert updated.updated == 5000
    assert Person.objects.get(email="p8@example.org").region == "Area 1"
    assert RoleAssignment.objects.filter(role="trainer").count() == 0


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_a_report_never_an_exception(units, pm, body):
    for data in (body.encode(), (HEADER + "\n" + body).encode()):
        report = people_import(csv_bytes=data, actor=pm, dry_run=True)
        assert report.is_valid or report.file_errors or report.error_rows


# --- The page -------------------------------------------------------------------------------


def _upload(data: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.parametrize("role", ["learner", "trainer"])
def test_learners_and_trainers_are_refused(client, make_person, role):
    client.force_login(make_person(role))
    before = _snapshot()

    get = client.get(URL)
    post = client.post(URL, {"file": _upload(_csv("A,a@example.org,,,learner,,"))})
    confirm = client.post(URL, {"confirm": "1", "digest": "x"})

    assert (get.status_code, post.status_code, confirm.status_code) == (403, 403, 403)
    assert _snapshot() == before


def test_anonymous_people_are_sent_to_sign_in(client, db):
    get = client.get(URL)
    post = client.post(URL, {"file": _upload(_csv("A,a@example.org,,,learner,,"))})

    assert get.status_code == post.status_code == 302
    assert get["Location"] == "/account/login/?next=/people/import/"
    assert not Person.objects.exists()


def test_page_offers_the_upload_form_and_a_template(client, pm, units):
    client.force_login(pm)

    page = client.get(URL)
    template = client.get(URL, {"template": "csv"})

    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'href="/people/import/?template=csv"' in page.text
    assert template["Content-Type"] == "text/csv; charset=utf-8"
    assert template["Content-Disposition"] == 'attachment; filename="people-import-template.csv"'
    assert template.content.decode() == (
        "\ufeffname,email,org_unit,manager_email,roles,region,languages\r\n"
        "Robin Example,robin@example.org,north,morgan@example.org,learner; trainer,North,"
        '"en, fr"\r\n'
    )


def test_template_for_a_scoped_program_manager_names_one_of_their_units(client, units):
    client.force_login(_scoped_pm(units["south"]))

    template = client.get(URL, {"template": "csv"})

    assert template.content.decode().splitlines()[1].split(",")[2] == "south"


def test_preview_with_problems_lists_them_and_offers_no_import(client, pm, units):
    client.force_login(pm)
    data = _csv(
        "Ann,ann@example.org,north,,learner,,",
        "<svg onload=alert(1)>,bad-email,north,,learner,,",
        "Cy,cy@example.org,nowhere,,learner,,",
    )
    before = _snapshot()

    response = client.post(URL, {"file": _upload(data)})

    assert response.status_code == 200
    text = response.text
    assert "2 of 3 rows have problems; nothing was imported." in text
    assert '<a href="#line-3">Line 3</a>: email: “bad-email” is not a valid email address.' in text
    assert '<tr id="line-4" class="row--error">' in text
    assert "&lt;svg onload=alert(1)&gt;" in text
    assert "<svg onload" not in text
    assert 'name="confirm"' not in text
    assert "people_import_file" not in client.session
    assert _snapshot() == before


def test_preview_then_import_then_result(client, pm, units):
    client.force_login(pm)
    PersonFactory(email="kim@example.org", display_name="Kim", roles=["learner"])
    data = _csv(
        "Ann,ann@example.org,north,bo@example.org,learner,,",
        "Bo,bo@example.org,north,,manager,,",
        "Kim,kim@example.org,,,learner,,",
    )

    # when the program manager previews a valid file
    preview = client.post(URL, {"file": _upload(data)})

    # then it offers to import the two that change, and nothing is written yet
    assert preview.status_code == 200
    assert "All 3 rows are ready." in preview.text
    assert "2 new, 0 to update, 1 unchanged." in preview.text
    assert "Import 2 people" in preview.text
    assert not Person.objects.filter(email="ann@example.org").exists()
    digest = preview.context["digest"]

    # when they import
    done = client.post(URL, {"confirm": "1", "digest": digest})

    # then the people exist, and the page says how many with a link to the directory
    assert done.status_code == 302
    assert done["Location"] == URL
    assert Person.objects.get(email="ann@example.org").manager.email == "bo@example.org"
    assert "people_import_file" not in client.session
    result = client.get(URL)
    assert "2 created, 0 updated, 1 unchanged." in result.text
    assert '<a href="/people/">See them in the directory</a>' in result.text
    assert "2 created" not in client.get(URL).text

    # and importing the same preview again does nothing
    before = _snapshot()
    again = client.post(URL, {"confirm": "1", "digest": digest}, follow=True)
    assert "That preview is no longer available; upload the file again." in again.text
    assert _snapshot() == before


def test_import_needs_the_digest_of_the_previewed_file(client, pm, units):
    client.force_login(pm)
    client.post(URL, {"file": _upload(_csv("Ann,ann@example.org,north,,learner,,"))})
    before = _snapshot()

    response = client.post(URL, {"confirm": "1", "digest": "0" * 64}, follow=True)

    assert "That preview is no longer available; upload the file again." in response.text
    assert _snapshot() == before


def test_import_checks_again_and_refuses_when_things_changed_since_the_preview(client, pm, units):
    client.force_login(pm)
    boss = PersonFactory(email="boss@example.org")
    preview = client.post(
        URL, {"file": _upload(_csv("Ann,ann@example.org,north,boss@example.org,learner,,"))}
    )
    boss.delete()
    before = _snapshot()

    response = client.post(URL, {"confirm": "1", "digest": preview.context["digest"]})

    assert response.status_code == 200
    assert "the file no longer passes. Nothing was imported." in response.text
    assert "nobody with the email boss@example.org is in Cascade or in this file." in response.text
    assert _snapshot() == before


def test_a_file_already_up_to_date_offers_nothing_to_import(client, pm, units):
    client.force_login(pm)
    PersonFactory(email="kim@example.org", display_name="Kim", roles=["learner"])

    response = client.post(URL, {"file": _upload(_csv("Kim,kim@example.org,,,learner,,"))})

    assert "The person in this file is already up to date; there is nothing to import." in (
        response.text
    )
    assert 'name="confirm"' not in response.text


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            _upload(b"x" * (20 * 1024 * 1024)),
            "This file is 20.0\xa0MB; the limit is 2.0\xa0MB. Split it into smaller files.",
        ),
        (_upload(_csv("A,a@example.org,,,learner,,"), "people.xlsx"), "Choose a .csv file"),
        (_upload(b""), "The submitted file is empty."),
        (
            _upload("name,email\nJosé,jose@example.org\n".encode("latin-1")),
            "The file is not UTF-8 text (the first unreadable character is on line 2).",
        ),
        (_upload(HEADER.encode()), "The file has a header but no people in it."),
    ],
)
def test_bad_uploads_get_a_clear_message_not_an_error_page(client, pm, units, upload, message):
    client.force_login(pm)
    before = _snapshot()

    response = client.post(URL, {"file": upload})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "people_import_file" not in client.session
    assert _snapshot() == before


def test_a_post_without_a_file_asks_for_one(client, pm):
    client.force_login(pm)

    response = client.post(URL, {"preview": "1"})

    assert response.status_code == 200
    assert "This field is required." in response.text
