"""Cohorts: opening intakes, enrolling people (one by one, by org unit, by CSV) and nudging."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry, Notification
from cascade.learning import selectors
from cascade.learning.models import Cohort, Enrolment, StepProgress
from cascade.learning.services import cohorts as svc
from cascade.learning.services import programs as program_svc
from cascade.learning.services import progress as progress_svc
from cascade.learning.tests.factories import build_path, build_program, enrol, open_cohort
from cascade.people.tests.factories import OrgUnitFactory


@pytest.fixture
def pm(make_person):
    return make_person("program_manager")


@pytest.fixture
def cohort(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}])
    return open_cohort(program, pm)


def enrolled(cohort: Cohort) -> list[str]:
    return sorted(Enrolment.objects.filter(cohort=cohort).values_list("person__email", flat=True))


# --- cohort_create --------------------------------------------------------------------------


def test_cohort_create_runs_the_current_published_version(pm, make_person):
    master = make_person("master_trainer")
    program, _steps = build_path(pm, [{"kind": "lesson"}])

    cohort = svc.cohort_create(
        program=program,
        name="  Autumn  ",
        start_date=date(2026, 9, 1),
        actor=pm,
        master_trainers=[master],
    )

    assert (cohort.name, cohort.start_date, cohort.status) == (
        "Autumn",
        date(2026, 9, 1),
        "planned",
    )
    assert cohort.version == program_svc.current_version(program)
    assert list(cohort.master_trainers.all()) == [master]
    assert (
        AuditEntry.objects.filter(
            action="learning.cohort.created", target_id=str(cohort.pk)
        ).count()
        == 1
    )


def test_cohort_create_refuses_an_unpublished_program(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}], publish=False)

    with pytest.raises(ApplicationError) as exc:
        svc.cohort_create(program=program, name="Autumn", start_date=date(2026, 9, 1), actor=pm)

    assert exc.value.code == "not_published"
    assert Cohort.objects.count() == 0
    assert not AuditEntry.objects.filter(action="learning.cohort.created").exists()


def test_a_draft_v2_does_not_change_the_version_new_cohorts_run(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}])
    v1 = program_svc.current_version(program)
    program_svc.version_start_draft(program=program, actor=pm)
    assert open_cohort(program, pm).version == v1


# --- cohort_enrol ---------------------------------------------------------------------------


def test_enrol_creates_enrolments_on_the_cohort_version_and_notifies(cohort, pm, make_person):
    ann, bob = (
        make_person("trainer", email="ann@example.org"),
        make_person("trainer", email="bob@example.org"),
    )

    result = svc.cohort_enrol(cohort=cohort, people=[ann, bob], actor=pm)

    assert (result.enrolled, result.already, result.errors) == ([ann, bob], [], [])
    assert enrolled(cohort) == ["ann@example.org", "bob@example.org"]
    assert set(Enrolment.objects.values_list("version", "status")) == {
        (cohort.version_id, "active")
    }
    note = ann.notifications.get()
    assert (note.kind, note.title, note.url) == (
        "program",
        "You are enrolled in Program path",
        reverse("learning:my_path", args=[cohort.pk]),
    )
    assert note.body == "Your cohort “Spring intake” starts on 2026-11-01."
    entry = AuditEntry.objects.get(action="learning.cohort.enrolled")
    assert entry.changes == {"people": [ann.pk, bob.pk]}


def test_enrol_is_idempotent(cohort, pm, make_person):
    ann, bob = make_person("trainer"), make_person("trainer")
    svc.cohort_enrol(cohort=cohort, people=[ann], actor=pm)

    result = svc.cohort_enrol(cohort=cohort, people=[ann, bob, bob], actor=pm)

    assert (result.enrolled, result.already) == ([bob], [ann])
    assert Enrolment.objects.filter(cohort=cohort).count() == 2
    assert Notification.objects.filter(recipient=ann).count() == 1
    assert Notification.objects.filter(recipient=bob).count() == 1
    again = svc.cohort_enrol(cohort=cohort, people=[ann, bob], actor=pm)
    assert (again.enrolled, again.already) == ([], [ann, bob])
    assert AuditEntry.objects.filter(action="learning.cohort.enrolled").count() == 2


def test_enrolling_a_withdrawn_person_again_reactivates_their_enrolment(cohort, pm, make_person):
    ann = make_person("trainer")
    enrolment = enrol(cohort, ann, pm)
    svc.enrolment_withdraw(enrolment=enrolment, actor=pm)

    result = svc.cohort_enrol(cohort=cohort, people=[ann], actor=pm)

    assert (result.enrolled, result.already) == ([ann], [])
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert Enrolment.objects.filter(cohort=cohort, person=ann).count() == 1


def test_enrol_skips_inactive_people(cohort, pm, make_person):
    gone = make_person("trainer", is_active=False)
    result = svc.cohort_enrol(cohort=cohort, people=[gone], actor=pm)
    assert (result.enrolled, result.already) == ([], [])
    assert Enrolment.objects.count() == 0
    assert not AuditEntry.objects.filter(action="learning.cohort.enrolled").exists()


def test_enrol_without_notifying(cohort, pm, make_person):
    ann = make_person("trainer")
    svc.cohort_enrol(cohort=cohort, people=[ann], actor=pm, notify=False)
    assert Notification.objects.count() == 0


def test_a_closed_cohort_takes_nobody(cohort, pm, make_person):
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.CLOSED)
    cohort.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        svc.cohort_enrol(cohort=cohort, people=[make_person("trainer")], actor=pm)
    assert exc.value.code == "cohort_closed"
    assert Enrolment.objects.count() == 0


def test_enrol_org_unit_includes_sub_units_and_excludes_inactive_people(cohort, pm, make_person):
    region = OrgUnitFactory(name="North")
    site = OrgUnitFactory(name="North site", parent=region)
    sibling = OrgUnitFactory(name="South")
    make_person("trainer", email="in-region@example.org", org_unit=region)
    make_person("trainer", email="in-site@example.org", org_unit=site)
    make_person("trainer", email="inactive@example.org", org_unit=site, is_active=False)
    make_person("trainer", email="south@example.org", org_unit=sibling)
    make_person("trainer", email="nowhere@example.org")

    result = svc.cohort_enrol_org_unit(cohort=cohort, unit=region, actor=pm)

    assert sorted(p.email for p in result.enrolled) == [
        "in-region@example.org",
        "in-site@example.org",
    ]
    assert enrolled(cohort) == ["in-region@example.org", "in-site@example.org"]


def test_enrol_org_unit_does_not_take_a_unit_whose_path_merely_starts_alike(
    cohort, pm, make_person
):
    # explicit ids, so the paths share a prefix on every database: "/9001/" vs "/90012/"
    first, last = OrgUnitFactory(id=9001), OrgUnitFactory(id=90012)
    assert last.path.startswith(first.path[:-1])
    make_person("trainer", email="first@example.org", org_unit=first)
    make_person("trainer", email="last@example.org", org_unit=last)

    svc.cohort_enrol_org_unit(cohort=cohort, unit=first, actor=pm)

    assert enrolled(cohort) == ["first@example.org"]


# --- cohort_enrol_csv -----------------------------------------------------------------------


@pytest.fixture
def people(make_person):
    return [
        make_person("trainer", email="ann@example.org"),
        make_person("trainer", email="bob@example.org"),
        make_person("trainer", email="gone@example.org", is_active=False),
    ]


def test_csv_with_one_email_a_line(cohort, pm, people):
    result = svc.cohort_enrol_csv(
        cohort=cohort, csv_bytes=b"ann@example.org\nBOB@example.org\n", actor=pm
    )
    assert sorted(p.email for p in result.enrolled) == ["ann@example.org", "bob@example.org"]
    assert enrolled(cohort) == ["ann@example.org", "bob@example.org"]


def test_csv_with_a_bom_a_header_and_windows_line_ends(cohort, pm, people):
    data = "\ufeffEmail,Name\r\n ann@example.org ,Ann\r\n\r\nbob@example.org,Bob\r\n".encode()
    svc.cohort_enrol_csv(cohort=cohort, csv_bytes=data, actor=pm)
    assert enrolled(cohort) == ["ann@example.org", "bob@example.org"]


def test_csv_header_names_the_email_column(cohort, pm, people):
    data = b"name,email,team\nAnn,ann@example.org,red\nBob,bob@example.org,blue\n"
    svc.cohort_enrol_csv(cohort=cohort, csv_bytes=data, actor=pm)
    assert enrolled(cohort) == ["ann@example.org", "bob@example.org"]


def test_csv_matches_emails_whatever_their_case(cohort, pm, make_person):
    odd = make_person("trainer", email="Mixed.Case@Example.org")
    svc.cohort_enrol_csv(cohort=cohort, csv_bytes=b"mixed.case@example.org\n", actor=pm)
    assert list(Enrolment.objects.values_list("person", flat=True)) == [odd.pk]


def test_csv_refuses_unknown_or_inactive_emails_with_their_line_and_enrols_nobody(
    cohort, pm, people
):
    data = b"email\nann@example.org\n\nnobody@example.org\ngone@example.org\nbob@example.org\n"

    with pytest.raises(ApplicationError) as exc:
        svc.cohort_enrol_csv(cohort=cohort, csv_bytes=data, actor=pm)

    assert exc.value.code == "unknown_people"
    assert exc.value.extra == {"missing": ["4: nobody@example.org", "5: gone@example.org"]}
    assert str(exc.value) == (
        "Nobody active has these emails (line: email): 4: nobody@example.org, 5: gone@example.org"
    )
    assert Enrolment.objects.count() == 0
    assert Notification.objects.count() == 0


def test_csv_line_numbers_without_a_header(cohort, pm, people):
    with pytest.raises(ApplicationError) as exc:
        svc.cohort_enrol_csv(
            cohort=cohort, csv_bytes=b"who@example.org\nann@example.org\n", actor=pm
        )
    assert exc.value.extra == {"missing": ["1: who@example.org"]}


def test_csv_that_is_not_utf8_is_refused(cohort, pm, people):
    with pytest.raises(ApplicationError) as exc:
        svc.cohort_enrol_csv(cohort=cohort, csv_bytes="zoë@example.org".encode("latin-1"), actor=pm)
    assert exc.value.code == "csv_encoding"
    assert Enrolment.objects.count() == 0


def test_an_empty_csv_enrols_nobody(cohort, pm):
    result = svc.cohort_enrol_csv(cohort=cohort, csv_bytes=b"email\n\n", actor=pm)
    assert (result.enrolled, result.already) == ([], [])


# --- Withdrawing, mentors -------------------------------------------------------------------


def test_withdraw_keeps_progress_and_is_audited(pm, make_person):
    program, steps = build_program(pm, slug="withdraw")
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, make_person("trainer"), pm)
    progress_svc.lesson_complete(enrolment=enrolment, step=steps["lesson"])

    svc.enrolment_withdraw(enrolment=enrolment, actor=pm)

    enrolment.refresh_from_db()
    assert enrolment.status == "withdrawn"
    assert StepProgress.objects.get(enrolment=enrolment).status == "completed"
    assert (
        AuditEntry.objects.filter(
            action="learning.enrolment.withdrawn", target_id=str(enrolment.pk)
        ).count()
        == 1
    )


def test_set_mentor_is_audited_and_nobody_mentors_themselves(cohort, pm, make_person):
    candidate, mentor = make_person("trainer"), make_person("master_trainer")
    enrolment = enrol(cohort, candidate, pm)

    svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    with pytest.raises(ApplicationError) as exc:
        svc.enrolment_set_mentor(enrolment=enrolment, mentor=candidate, actor=pm)

    assert exc.value.code == "self_mentor"
    enrolment.refresh_from_db()
    assert enrolment.mentor == mentor
    assert list(
        AuditEntry.objects.filter(action="learning.enrolment.mentor_set").values_list(
            "changes", flat=True
        )
    ) == [{"mentor": mentor.pk}]


# --- Nudges ---------------------------------------------------------------------------------


def test_nudge_sends_one_reminder_per_person_per_day(cohort, pm, make_person):
    ann, bob = make_person("trainer"), make_person("trainer")
    enrol(cohort, ann, pm)
    enrol(cohort, bob, pm)

    with time_machine.travel("2026-11-10 09:00 +00:00", tick=False):
        first = svc.cohort_nudge(
            cohort=cohort, people=[ann, bob], actor=pm, message="Quiz due Friday"
        )
        second = svc.cohort_nudge(cohort=cohort, people=[ann, bob], actor=pm)
    with time_machine.travel("2026-11-11 09:00 +00:00", tick=False):
        next_day = svc.cohort_nudge(cohort=cohort, people=[ann], actor=pm)

    assert (first, second, next_day) == (2, 0, 1)
    reminders = ann.notifications.filter(dedupe_key__startswith="nudge:").order_by("created_at")
    assert list(reminders.values_list("dedupe_key", "body")) == [
        (f"nudge:{cohort.pk}:2026-11-10", "Quiz due Friday"),
        (
            f"nudge:{cohort.pk}:2026-11-11",
            f"{pm} reminds you to continue your path: some steps are due.",
        ),
    ]
    assert bob.notifications.filter(dedupe_key__startswith="nudge:").count() == 1


def test_nudge_reaches_only_people_actively_enrolled_in_the_cohort(cohort, pm, make_person):
    active, withdrawn, outsider = (
        make_person("trainer"),
        make_person("trainer"),
        make_person("trainer"),
    )
    enrol(cohort, active, pm)
    svc.enrolment_withdraw(enrolment=enrol(cohort, withdrawn, pm), actor=pm)

    sent = svc.cohort_nudge(cohort=cohort, people=[active, withdrawn, outsider, active], actor=pm)

    assert sent == 1
    assert Notification.objects.filter(dedupe_key__startswith="nudge:").count() == 1
    assert active.notifications.filter(dedupe_key__startswith="nudge:").count() == 1


# --- The cohort grid ------------------------------------------------------------------------


def test_cohort_grid_shows_active_people_against_the_steps(pm, make_person):
    program, steps = build_program(pm, slug="grid")
    cohort = open_cohort(program, pm, start=date(2026, 11, 1))
    ann = make_person("trainer", display_name="Ann")
    bob = make_person("trainer", display_name="Bob")
    gone = make_person("trainer", display_name="Gone")
    ann_enrolment = enrol(cohort, ann, pm)
    enrol(cohort, bob, pm)
    svc.enrolment_withdraw(enrolment=enrol(cohort, gone, pm), actor=pm)
    progress_svc.lesson_complete(enrolment=ann_enrolment, step=steps["lesson"])

    grid = selectors.cohort_grid(cohort, today=date(2026, 11, 9))

    assert [s.id for s in grid.steps] == [s.pk for s in steps.values()]
    assert [(r.enrolment.person.display_name, r.path.percent) for r in grid.rows] == [
        ("Ann", 33),
        ("Bob", 0),
    ]
    assert [r.enrolment.person.display_name for r in grid.behind] == ["Bob"]  # lesson due 11-08


def test_cohort_grid_query_count_does_not_grow_with_the_cohort(
    pm, make_person, django_assert_num_queries
):
    program, steps = build_program(pm, slug="grid")
    cohort = open_cohort(program, pm)

    def add_people(n: int) -> None:
        for _ in range(n):
            enrolment = enrol(cohort, make_person("trainer"), pm)
            progress_svc.lesson_complete(enrolment=enrolment, step=steps["lesson"])

    add_people(2)
    with django_assert_num_queries(4):
        small = selectors.cohort_grid(cohort)
    add_people(6)
    with django_assert_num_queries(4):
        large = selectors.cohort_grid(cohort)
    assert (len(small.rows), len(large.rows)) == (2, 8)
