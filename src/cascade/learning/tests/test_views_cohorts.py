"""Cohort pages: the list, opening a cohort, the dashboard, enrolling, nudging and the export.

Each view is tried by the people who may use it (a program manager in scope, the cohort's master
trainer) and by those who may not (another master trainer, a trainer, a learner, a program
manager of another unit), who get 403/404 and change nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cascade.core.models import AuditEntry, Notification
from cascade.learning.models import Cohort, Enrolment, ProgressStatus, Step, StepProgress
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import progress as progress_services
from cascade.learning.tests.factories import build_path, enrol, scoped_program_manager
from cascade.people.models import Person
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = "2026-11-10 09:00 +00:00"  # the lesson (due 11-08) is overdue, the task (11-15) is not
START = date(2026, 11, 1)
NASTY = "<svg onload=alert(1)> < > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"


@dataclass
class World:
    north: Any
    south: Any
    pm: Person
    pm_south: Person
    master: Person
    other_master: Person
    trainer: Person
    learner: Person
    cohort: Cohort
    steps: list[Step]
    ann: Person
    bob: Person


def person(*roles: str, unit: Any = None, **kwargs: Any) -> Person:
    return PersonFactory(roles=list(roles), org_unit=unit, **kwargs)


@pytest.fixture
def world() -> World:
    north = OrgUnitFactory(name="North", code="north")
    south = OrgUnitFactory(name="South", code="south")
    pm = scoped_program_manager(north, display_name="Pat North", email="pat@example.org")
    pm_south = scoped_program_manager(south, display_name="Sam South", email="sam@example.org")
    master = person("master_trainer", unit=north, display_name="Mo Master")
    program, steps = build_path(
        pm,
        [
            {"kind": "lesson", "title": "Asking questions", "due_offset_days": 7},
            {"kind": "on_the_job", "title": "Run a huddle", "due_offset_days": 14, "after": [0]},
            {"kind": "reflection", "title": "What surprised you?", "required": False},
        ],
        slug="facilitation",
        org_unit=north,
    )
    cohort = cohort_services.cohort_create(
        program=program, name="Spring intake", start_date=START, actor=pm, master_trainers=[master]
    )
    ann = person("trainer", unit=north, display_name="Ann Able", email="ann@example.org")
    bob = person("trainer", unit=north, display_name="Bob Behind", email="bob@example.org")
    ann_enrolment = enrol(cohort, ann, pm)
    enrol(cohort, bob, pm)
    progress_services.lesson_complete(enrolment=ann_enrolment, step=steps[0])
    StepProgress.objects.create(
        enrolment=ann_enrolment, step=steps[1], status=ProgressStatus.SUBMITTED
    )
    return World(
        north=north,
        south=south,
        pm=pm,
        pm_south=pm_south,
        master=master,
        other_master=person("master_trainer", unit=north, display_name="Other Master"),
        trainer=person("trainer", unit=north),
        learner=person("learner", unit=north),
        cohort=cohort,
        steps=steps,
        ann=ann,
        bob=bob,
    )


def client_for(who: Person) -> Client:
    client = Client()
    client.force_login(who)
    return client


def allowed(w: World) -> list[Person]:
    return [w.pm, w.master]


def denied(w: World) -> list[Person]:
    return [w.other_master, w.trainer, w.learner, w.pm_south]


def flash(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def enrolled_emails(cohort: Cohort) -> list[str]:
    return sorted(Enrolment.objects.filter(cohort=cohort).values_list("person__email", flat=True))


# --- The list -------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_cohort_list_shows_counts_to_those_who_run_the_cohort(world):
    url = reverse("learning:cohorts")

    for who in allowed(world):
        response = client_for(who).get(url)
        assert response.status_code == 200
        rows = response.context["rows"]
        assert [(r.cohort.name, r.enrolled, r.percent, r.behind) for r in rows] == [
            # Ann did 1 of 2 required steps, Bob none: (1 + 0) / (2 * 2) = 25 %
            ("Spring intake", 2, 25, 1)
        ]
        assert "Spring intake" in response.content.decode()
    for who in [world.other_master, world.pm_south, world.trainer]:
        response = client_for(who).get(url)
        assert response.status_code == 200
        assert response.context["rows"] == []
    assert client_for(world.learner).get(url).status_code == 403


def test_cohort_list_asks_anonymous_people_to_sign_in():
    response = Client().get(reverse("learning:cohorts"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


@time_machine.travel(TODAY, tick=False)
def test_cohort_list_counts_a_cohort_with_nobody_enrolled(world):
    empty = cohort_services.cohort_create(
        program=world.cohort.program, name="Autumn", start_date=date(2027, 3, 1), actor=world.pm
    )

    rows = client_for(world.pm).get(reverse("learning:cohorts")).context["rows"]

    assert [(r.cohort.pk, r.enrolled, r.percent, r.behind, r.phase) for r in rows] == [
        (empty.pk, 0, None, 0, "Not started yet"),  # the latest start date first
        (world.cohort.pk, 2, 25, 1, "Running"),
    ]


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("learning:cohorts")).status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(TODAY, tick=False)
def test_cohort_list_query_count_does_not_grow_with_cohorts_or_people(world):
    client = client_for(world.pm)
    few = _list_queries(client)

    for n in range(4):
        extra = cohort_services.cohort_create(
            program=world.cohort.program, name=f"Extra {n}", start_date=START, actor=world.pm
        )
        for _ in range(3):
            enrol(extra, person("trainer", unit=world.north), world.pm)

    assert _list_queries(client) == few


# --- Opening a cohort -----------------------------------------------------------------------


def test_program_manager_opens_a_cohort_with_master_trainers(world):
    client = client_for(world.pm)
    form = client.get(reverse("learning:cohort_new")).context["form"]
    assert list(form.fields["master_trainers"].queryset) == [world.master, world.other_master]

    response = client.post(
        reverse("learning:cohort_new"),
        {
            "program": world.cohort.program.pk,
            "name": "Autumn",
            "start_date": "2027-03-01",
            "master_trainers": [world.master.pk],
        },
    )

    cohort = Cohort.objects.get(name="Autumn")
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:cohort_enrol", args=[cohort.pk])
    assert (cohort.program, cohort.start_date) == (world.cohort.program, date(2027, 3, 1))
    assert list(cohort.master_trainers.all()) == [world.master]


def test_opening_a_cohort_on_an_unpublished_program_shows_an_error(world):
    draft, _steps = build_path(
        world.pm, [{"kind": "lesson"}], slug="draft-only", publish=False, org_unit=world.north
    )
    client = client_for(world.pm)
    choices = [
        label
        for _value, label in client.get(reverse("learning:cohort_new"))
        .context["form"]
        .fields["program"]
        .choices
    ]
    assert "Program draft-only (not published yet)" in choices

    response = client.post(
        reverse("learning:cohort_new"),
        {"program": draft.pk, "name": "Too early", "start_date": "2027-03-01"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["program"] == [
        "Publish the program before opening a cohort."
    ]
    assert "Publish the program before opening a cohort." in response.content.decode()
    assert not Cohort.objects.filter(name="Too early").exists()


def test_a_program_or_master_trainer_out_of_scope_cannot_be_chosen(world):
    south_program, _steps = build_path(
        world.pm_south, [{"kind": "lesson"}], slug="south", org_unit=world.south
    )
    south_master = person("master_trainer", unit=world.south)
    client = client_for(world.pm)

    response = client.post(
        reverse("learning:cohort_new"),
        {"program": south_program.pk, "name": "Raid", "start_date": "2027-03-01"},
    )
    assert "program" in response.context["form"].errors
    response = client.post(
        reverse("learning:cohort_new"),
        {
            "program": world.cohort.program.pk,
            "name": "Raid",
            "start_date": "2027-03-01",
            "master_trainers": [south_master.pk],
        },
    )

    assert "master_trainers" in response.context["form"].errors
    assert not Cohort.objects.filter(name="Raid").exists()


def test_only_program_managers_may_open_cohorts(world):
    data = {"program": world.cohort.program.pk, "name": "Nope", "start_date": "2027-03-01"}
    for who in [world.master, world.trainer, world.learner]:
        client = client_for(who)
        assert client.get(reverse("learning:cohort_new")).status_code == 403
        assert client.post(reverse("learning:cohort_new"), data).status_code == 403
    # A program manager of another unit does not see this program among the choices.
    response = client_for(world.pm_south).post(reverse("learning:cohort_new"), data)
    assert "program" in response.context["form"].errors
    assert not Cohort.objects.filter(name="Nope").exists()


# --- The dashboard --------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_dashboard_shows_people_by_step_with_status_and_summary(world):
    url = reverse("learning:cohort", args=[world.cohort.pk])

    for who in allowed(world):
        response = client_for(who).get(url)
        assert response.status_code == 200
        board = response.context["board"]
        assert board.summary == {
            "enrolled": 2,
            "completed": 0,
            "on_track": 1,
            "behind": 1,
            "waiting": 1,
        }
        assert [c.title for c in board.columns] == [
            "Asking questions",
            "Run a huddle",
            "What surprised you?",
        ]
        assert [(r.person.display_name, [c.css for c in r.cells]) for r in board.rows] == [
            ("Ann Able", ["done", "review", "todo"]),
            ("Bob Behind", ["todo late", "locked", "todo"]),
        ]
        assert board.rows[1].cells[0].label == "Not started, overdue since Nov. 8, 2026"
        html = response.content.decode()
        assert '<abbr title="2. Run a huddle — On-the-job task, due Nov. 15, 2026">' in html
        assert '<span class="vh">Waiting for review</span>' in html
        assert "Nudge everyone behind" not in html  # one person: "Nudge the 1 person behind"
        assert "Nudge the 1 person behind" in html


@time_machine.travel(TODAY, tick=False)
def test_dashboard_filters_to_the_people_behind(world):
    client = client_for(world.pm)
    url = reverse("learning:cohort", args=[world.cohort.pk])

    response = client.get(url, {"show": "behind"})
    fragment = client.get(url, {"show": "behind"}, headers={"HX-Request": "true"})

    assert [r.person for r in response.context["board"].rows] == [world.bob]
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="grid"')
    assert "Bob Behind" in html
    assert "Ann Able" not in html
    assert "<html" not in html


def test_dashboard_is_hidden_from_everyone_else(world):
    url = reverse("learning:cohort", args=[world.cohort.pk])

    for who in denied(world):
        assert client_for(who).get(url).status_code == 404
    assert client_for(world.pm).get(reverse("learning:cohort", args=[999999])).status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_dashboard_escapes_names_and_step_titles(world):
    Step.objects.filter(pk=world.steps[0].pk).update(title=NASTY)
    Person.objects.filter(pk=world.bob.pk).update(display_name=NASTY)

    html = client_for(world.pm).get(reverse("learning:cohort", args=[world.cohort.pk])).content

    assert b"<svg onload" not in html
    assert b"&lt;svg onload=alert(1)&gt;" in html


@time_machine.travel(TODAY, tick=False)
def test_dashboard_shows_mentors_and_module_headings(world):
    from cascade.learning.models import Module

    module = Module.objects.create(version=world.cohort.version, title="Week 1", position=0)
    Step.objects.filter(pk__in=[world.steps[0].pk, world.steps[1].pk]).update(module=module)
    mentor = person("trainer", display_name="Mia Mentor")
    Enrolment.objects.filter(person=world.ann).update(mentor=mentor)

    response = client_for(world.pm).get(reverse("learning:cohort", args=[world.cohort.pk]))

    board = response.context["board"]
    assert [(m.title, m.span) for m in board.modules] == [("Week 1", 2), ("", 1)]
    assert [r.mentor for r in board.rows] == ["Mia Mentor", ""]
    assert '<th scope="colgroup" colspan="2">Week 1</th>' in response.content.decode()


def _dashboard_queries(client: Client, cohort: Cohort) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("learning:cohort", args=[cohort.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _cohort_of(size: int, w: World, name: str) -> Cohort:
    cohort = cohort_services.cohort_create(
        program=w.cohort.program,
        name=name,
        start_date=START,
        actor=w.pm,
        master_trainers=[w.master],
    )
    mentor = person("trainer")
    for i in range(size):
        enrolment = enrol(cohort, person("trainer", unit=w.north), w.pm)
        if i % 2:
            progress_services.lesson_complete(enrolment=enrolment, step=w.steps[0])
        if i % 3 == 0:
            enrolment.mentor = mentor
            enrolment.save(update_fields=["mentor"])
    return cohort


@time_machine.travel(TODAY, tick=False)
def test_dashboard_query_count_is_the_same_for_5_and_60_people(world):
    client = client_for(world.pm)
    small = _cohort_of(5, world, "Small")
    large = _cohort_of(60, world, "Large")

    small_queries = _dashboard_queries(client, small)
    large_queries = _dashboard_queries(client, large)

    assert small_queries == large_queries
    assert large_queries <= 16


# --- Enrolling ------------------------------------------------------------------------------


def _enrol(client: Client, cohort: Cohort, method: str, **data: Any) -> Any:
    payload = {"method": method, **{f"{method}-{k}": v for k, v in data.items()}}
    return client.post(reverse("learning:cohort_enrol", args=[cohort.pk]), payload)


def test_enrol_by_emails_one_per_line_or_comma_separated(world):
    cara = person("trainer", email="cara@example.org")
    dan = person("trainer", email="dan@example.org")

    for who in allowed(world):
        response = _enrol(
            client_for(who),
            world.cohort,
            "emails",
            emails="CARA@example.org,\n dan@example.org; ann@example.org",
        )
        assert response.status_code == 302

    assert enrolled_emails(world.cohort) == sorted(
        [world.ann.email, world.bob.email, cara.email, dan.email]
    )
    response = _enrol(client_for(world.pm), world.cohort, "emails", emails="cara@example.org")
    assert flash(response) == ["0 people enrolled. 1 was already enrolled."]
    assert dan.notifications.filter(dedupe_key=f"enrolled:{world.cohort.pk}").count() == 1


def test_enrol_by_emails_lists_unknown_emails_and_enrols_nobody(world):
    cara = person("trainer", email="cara@example.org")
    gone = person("trainer", email="gone@example.org", is_active=False)

    response = _enrol(
        client_for(world.pm),
        world.cohort,
        "emails",
        emails="cara@example.org\nnobody@example.org\ngone@example.org\nnot-an-email",
    )

    assert response.status_code == 200
    assert response.context["forms"]["emails"].errors["emails"] == [
        "Not an email address: not-an-email",
        "Nobody active has these emails: nobody@example.org, gone@example.org",
        "Nobody was enrolled; correct the list and retry.",
    ]
    assert not Enrolment.objects.filter(person__in=[cara, gone]).exists()


def test_first_enrolment_message_counts_new_and_existing(world):
    cara = person("trainer", email="cara@example.org")

    response = _enrol(
        client_for(world.master), world.cohort, "emails", emails=f"{cara.email}, {world.ann.email}"
    )

    assert flash(response) == ["1 person enrolled. 1 was already enrolled."]


def test_enrol_by_csv(world):
    person("trainer", email="cara@example.org")
    person("trainer", email="dan@example.org")
    upload = SimpleUploadedFile(
        "people.csv", b"name,email\nCara,cara@example.org\nDan,DAN@example.org\n", "text/csv"
    )

    response = _enrol(client_for(world.pm), world.cohort, "csv", file=upload)

    assert flash(response) == ["2 people enrolled."]
    assert "cara@example.org" in enrolled_emails(world.cohort)
    assert "dan@example.org" in enrolled_emails(world.cohort)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "people.csv",
            b"email\nnobody@example.org\n",
            "Nobody active has these emails (line: email): 2: nobody@example.org",
        ),
        ("people.csv", "email\ncafé@example.org\n".encode("latin-1"), "is not a text file"),
        ("people.xlsx", b"PK\x03\x04", "are not accepted"),
        ("people.csv", b"email\n" + b"x" * (2 * 1024 * 1024), "the limit is 2 MB"),
        ("people.csv", b"", "The submitted file is empty."),
    ],
)
def test_enrol_by_csv_refuses_bad_files_and_enrols_nobody(world, name, content, error):
    before = enrolled_emails(world.cohort)
    upload = SimpleUploadedFile(name, content, "text/csv")

    response = _enrol(client_for(world.pm), world.cohort, "csv", file=upload)

    assert response.status_code == 200
    errors = response.context["forms"]["csv"].errors["file"]
    assert len(errors) == 1
    assert error in errors[0]
    assert enrolled_emails(world.cohort) == before


def test_enrol_a_csv_that_is_not_utf8_beyond_the_first_bytes(world):
    content = b"email\n" + b"a" * 9000 + "\né@example.org\n".encode("latin-1")
    upload = SimpleUploadedFile("people.csv", content, "text/csv")

    response = _enrol(client_for(world.pm), world.cohort, "csv", file=upload)

    assert response.context["forms"]["csv"].errors["file"] == ["The file is not UTF-8 text."]


def test_enrol_an_org_unit_and_the_units_below_it(world):
    team = OrgUnitFactory(name="North team", parent=world.north)
    cara = person("trainer", unit=team, email="cara@example.org")
    person("trainer", unit=world.south, email="south@example.org")
    before = set(enrolled_emails(world.cohort))

    response = _enrol(client_for(world.pm), world.cohort, "unit", org_unit=world.north.pk)

    north_people = set(
        Person.objects.filter(org_unit__path__startswith=world.north.path).values_list(
            "email", flat=True
        )
    )
    assert set(enrolled_emails(world.cohort)) == north_people | before
    assert cara.email in north_people
    assert "south@example.org" not in enrolled_emails(world.cohort)
    assert flash(response) == [
        f"{len(north_people - before)} people enrolled. 2 were already enrolled."
    ]


def test_enrol_an_org_unit_out_of_scope_is_refused(world):
    before = enrolled_emails(world.cohort)
    person("trainer", unit=world.south)

    response = _enrol(client_for(world.pm), world.cohort, "unit", org_unit=world.south.pk)
    by_master = _enrol(client_for(world.master), world.cohort, "unit", org_unit=world.north.pk)

    assert "org_unit" in response.context["forms"]["unit"].errors
    assert "org_unit" in by_master.context["forms"]["unit"].errors
    assert not by_master.context["units_available"]
    assert enrolled_emails(world.cohort) == before


def test_enrolling_is_refused_to_everyone_else(world):
    cara = person("trainer", email="cara@example.org")
    for who in denied(world):
        client = client_for(who)
        assert (
            client.get(reverse("learning:cohort_enrol", args=[world.cohort.pk])).status_code == 404
        )
        response = _enrol(client, world.cohort, "emails", emails=cara.email)
        assert response.status_code == 404
    assert not Enrolment.objects.filter(person=cara).exists()


def test_enrolling_in_a_closed_cohort_shows_the_reason(world):
    Cohort.objects.filter(pk=world.cohort.pk).update(status=Cohort.Status.CLOSED)
    cara = person("trainer", email="cara@example.org")

    response = _enrol(client_for(world.pm), world.cohort, "emails", emails=cara.email)

    assert response.context["forms"]["emails"].errors["emails"] == ["This cohort is closed."]
    assert not Enrolment.objects.filter(person=cara).exists()


def test_give_and_take_away_a_mentor(world):
    mentor = person("trainer", email="mentor@example.org", display_name="Mia Mentor")
    enrolment = Enrolment.objects.get(person=world.bob)
    client = client_for(world.master)

    response = _enrol(
        client, world.cohort, "mentor", enrolment=enrolment.pk, mentor_email="MENTOR@example.org"
    )
    enrolment.refresh_from_db()
    assert (enrolment.mentor, flash(response)) == (mentor, ["Mia Mentor now mentors Bob Behind."])
    assert AuditEntry.objects.filter(action="learning.enrolment.mentor_set").count() == 1

    _enrol(client, world.cohort, "mentor", enrolment=enrolment.pk, mentor_email="")
    enrolment.refresh_from_db()
    assert enrolment.mentor is None


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("learner", "A mentor must be an active trainer or master trainer."),
        ("nobody@example.org", "Nobody active has this email."),
        ("bob", "Nobody can mentor themselves."),
    ],
)
def test_a_mentor_must_be_an_active_trainer_and_not_the_person(world, email, error):
    enrolment = Enrolment.objects.get(person=world.bob)
    email = {"learner": world.learner.email, "bob": world.bob.email}.get(email, email)

    response = _enrol(
        client_for(world.pm), world.cohort, "mentor", enrolment=enrolment.pk, mentor_email=email
    )

    assert response.context["forms"]["mentor"].errors["mentor_email"] == [error]
    enrolment.refresh_from_db()
    assert enrolment.mentor is None


def test_a_mentor_cannot_be_given_to_someone_of_another_cohort(world):
    other = cohort_services.cohort_create(
        program=world.cohort.program, name="Other", start_date=START, actor=world.pm_south
    )
    outsider = enrol(other, person("trainer"), world.pm)
    mentor = person("trainer", email="mentor@example.org")

    response = _enrol(
        client_for(world.master),
        world.cohort,
        "mentor",
        enrolment=outsider.pk,
        mentor_email=mentor.email,
    )

    assert "enrolment" in response.context["forms"]["mentor"].errors
    outsider.refresh_from_db()
    assert outsider.mentor is None


# --- Nudging --------------------------------------------------------------------------------


def _nudge(client: Client, cohort: Cohort, **data: Any) -> Any:
    return client.post(reverse("learning:cohort_nudge", args=[cohort.pk]), data)


def nudges() -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(dedupe_key__startswith="nudge:")
        .order_by("recipient__email")
        .values_list("recipient__email", "body")
    )


@time_machine.travel(TODAY, tick=False)
def test_nudge_selected_people_once_a_day(world, django_capture_on_commit_callbacks):
    client = client_for(world.master)
    selected = {"who": "selected", "person": [world.ann.pk, world.bob.pk], "message": "Due soon!"}

    with django_capture_on_commit_callbacks(execute=True):
        first = _nudge(client, world.cohort, **selected)
    with django_capture_on_commit_callbacks(execute=True):
        again = _nudge(client, world.cohort, **selected)

    assert first.status_code == 302
    assert first["Location"] == reverse("learning:cohort", args=[world.cohort.pk])
    assert flash(first) == ["2 people nudged by email and in the app."]
    # (the first answer's message is still in the session: it was never shown)
    assert flash(again)[-1] == "Nothing new was sent: these 2 people were already nudged today."
    assert nudges() == [("ann@example.org", "Due soon!"), ("bob@example.org", "Due soon!")]
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bob@example.org"]


@time_machine.travel(TODAY, tick=False)
def test_nudge_everyone_behind_reaches_only_them(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _nudge(client_for(world.pm), world.cohort, who="behind", show="behind")

    assert response["Location"] == reverse("learning:cohort", args=[world.cohort.pk]) + (
        "?show=behind"
    )
    assert flash(response) == ["1 person nudged by email and in the app."]
    assert nudges() == [
        ("bob@example.org", "Pat North reminds you to continue your path: some steps are due.")
    ]
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]


@time_machine.travel(TODAY, tick=False)
def test_nudge_mixes_new_and_already_nudged_people(world):
    client = client_for(world.pm)
    _nudge(client, world.cohort, who="selected", person=[world.bob.pk])

    response = _nudge(client, world.cohort, who="selected", person=[world.ann.pk, world.bob.pk])

    assert flash(response)[-1:] == [
        "1 person nudged by email and in the app. 1 was already nudged today and got nothing new."
    ]


def test_nudge_with_nobody_selected_says_so(world):
    response = _nudge(client_for(world.pm), world.cohort, who="selected")

    assert flash(response) == ["Select the people to nudge first."]
    assert nudges() == []


def test_nudge_refuses_people_outside_the_cohort_and_sends_nothing(world):
    outsider = person("trainer")

    response = _nudge(
        client_for(world.pm), world.cohort, who="selected", person=[world.ann.pk, outsider.pk]
    )

    assert response.status_code == 302
    assert len(flash(response)) == 1
    assert "not one of the available choices" in flash(response)[0]
    assert nudges() == []


def test_nudge_is_refused_to_everyone_else_and_never_by_get(world):
    for who in denied(world):
        response = _nudge(client_for(who), world.cohort, who="behind")
        assert response.status_code == 404
    url = reverse("learning:cohort_nudge", args=[world.cohort.pk])
    assert client_for(world.pm).get(url, {"who": "behind"}).status_code == 405
    assert nudges() == []


# --- Export ---------------------------------------------------------------------------------


def _rows(response: Any) -> list[list[str]]:
    text = b"".join(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@time_machine.travel(TODAY, tick=False)
def test_export_has_one_row_per_person_with_a_column_per_step(world):
    for who in allowed(world):
        response = client_for(who).get(reverse("learning:cohort_export", args=[world.cohort.pk]))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="cohort-{world.cohort.pk}-spring-intake.csv"'
        )
        assert _rows(response) == [
            [
                "Name",
                "Email",
                "Org unit",
                "Status",
                "Percent complete",
                "Overdue steps",
                "1. Asking questions",
                "2. Run a huddle",
                "3. What surprised you?",
            ],
            [
                "Ann Able",
                "ann@example.org",
                "North",
                "On track",
                "50",
                "0",
                "Completed",
                "Waiting for review",
                "Not started",
            ],
            [
                "Bob Behind",
                "bob@example.org",
                "North",
                "Behind",
                "0",
                "1",
                "Not started, overdue since Nov. 8, 2026",
                "Locked",
                "Not started",
            ],
        ]


def test_export_neutralises_spreadsheet_formulas(world):
    Person.objects.filter(pk=world.ann.pk).update(display_name='=HYPERLINK("http://x")')
    Person.objects.filter(pk=world.bob.pk).update(display_name="@SUM(A1)")
    Step.objects.filter(pk=world.steps[0].pk).update(title="+1")
    world.north.name = "-2"
    world.north.save()

    rows = _rows(
        client_for(world.pm).get(reverse("learning:cohort_export", args=[world.cohort.pk]))
    )

    assert rows[0][6] == "1. +1"  # starts with a digit: harmless
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    assert [r[2] for r in rows[1:]] == ["'-2", "'-2"]


def test_export_is_refused_to_everyone_else(world):
    for who in denied(world):
        url = reverse("learning:cohort_export", args=[world.cohort.pk])
        assert client_for(who).get(url).status_code == 404
