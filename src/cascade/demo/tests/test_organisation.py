"""The demo organisation: its logins, its shape, and that loading it twice changes nothing."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry, Notification
from cascade.delivery.models import (
    Booking,
    Course,
    Post,
    Session,
    SessionStaff,
    Subscription,
    Thread,
    TimeSlot,
    Venue,
)
from cascade.demo.loader import load_demo
from cascade.demo.organisation import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_SEED,
    PM_EMAIL,
    ROOT_CODE,
    plan_people,
)
from cascade.learning.models import (
    Cohort,
    Enrolment,
    EvidenceFile,
    MentoringLog,
    Program,
    QuizAttempt,
    ReflectionEntry,
    StepProgress,
)
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "manager@demo.example": {Role.PROGRAM_MANAGER, Role.MANAGER},
    "master@demo.example": {Role.MASTER_TRAINER},
    "trainer@demo.example": {Role.TRAINER},
    "candidate@demo.example": {Role.TRAINER},
    "learner@demo.example": {Role.LEARNER},
}


def _counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "units": OrgUnit.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "programs": Program.objects.count(),
        "cohorts": Cohort.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "progress": StepProgress.objects.count(),
        "attempts": QuizAttempt.objects.count(),
        "reflections": ReflectionEntry.objects.count(),
        "meetings": MentoringLog.objects.count(),
        "evidence": EvidenceFile.objects.count(),
        "courses": Course.objects.count(),
        "venues": Venue.objects.count(),
        "sessions": Session.objects.count(),
        "slots": TimeSlot.objects.count(),
        "staff": SessionStaff.objects.count(),
        "bookings": Booking.objects.count(),
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
        "subscriptions": Subscription.objects.count(),
    }


def test_demo_loads_the_five_logins_with_their_roles_and_profiles() -> None:
    load_demo(learning=False)

    assert [login.email for login in DEMO_LOGINS] == list(EXPECTED_ROLES)
    for email, roles in EXPECTED_ROLES.items():
        person = Person.objects.get(email=email)
        assert set(person.roles) == roles, email
        assert person.check_password(DEMO_PASSWORD), email
        assert person.is_active
        assert person.job_title
        assert person.time_zone == "Europe/London"
        assert person.languages[0] == "en"
        assert len(person.languages) == 2
        assert person.org_unit is not None
    pm_assignment = RoleAssignment.objects.get(person__email=PM_EMAIL, role=Role.PROGRAM_MANAGER)
    assert pm_assignment.org_unit is None  # the whole organisation


def test_the_demo_learner_reports_to_a_manager() -> None:
    load_demo(learning=False)

    learner = Person.objects.select_related("manager").get(email="learner@demo.example")

    assert learner.manager is not None
    assert learner.manager.has_role(Role.MANAGER)
    assert learner.manager.org_unit_id == learner.org_unit_id


def test_demo_has_150_people_in_three_regions() -> None:
    summary = load_demo(learning=False)

    root = OrgUnit.objects.get(code=ROOT_CODE)
    regions = OrgUnit.objects.filter(parent=root).order_by("code")
    people = Person.objects.filter(org_unit__path__startswith=root.path)
    assert summary.people == 150
    assert people.count() == 150
    assert [r.name for r in regions] == ["Central region", "North region", "South region"]
    for region in regions:
        assert 2 <= region.children.count() <= 3
        assert people.filter(region=region.name.split()[0]).count() > 30
    assert list(people.filter(manager__isnull=True).values_list("job_title", flat=True)) == [
        "Chief Nursing Officer"
    ]
    assert OrgUnit.objects.filter(path__startswith=root.path).count() == summary.units == 35
    for unit in OrgUnit.objects.filter(parent__isnull=False, path__startswith=root.path):
        assert unit.path == f"{unit.parent.path}{unit.pk}/"  # type: ignore[union-attr]


def test_demo_has_trainers_candidates_and_a_scoped_program_manager() -> None:
    load_demo(learning=False)

    specs = plan_people(random.Random(DEMO_SEED))
    kinds = [s.kind for s in specs]
    assert kinds.count("master_trainer") == 4
    assert kinds.count("trainer") == 15
    assert kinds.count("candidate") == 7
    assert RoleAssignment.objects.filter(role=Role.TRAINER).count() == 22
    scoped = RoleAssignment.objects.select_related("org_unit").get(
        role=Role.PROGRAM_MANAGER, org_unit__isnull=False
    )
    assert scoped.org_unit is not None
    assert scoped.org_unit.code == "nbh-north"


def test_demo_gives_the_program_manager_a_home_page_with_news() -> None:
    load_demo(learning=False)

    pm = Person.objects.get(email=PM_EMAIL)
    assert Notification.objects.filter(recipient=pm, read_at__isnull=True).count() == 2
    assert Notification.objects.filter(recipient=pm).count() == 3
    assert AuditEntry.objects.filter(actor=pm, action="people.person.created").count() == 148
    assert AuditEntry.objects.filter(action="people.person.invited").count() == 5
    assert Person.objects.filter(is_active=False).count() == 2
    assert Person.objects.filter(last_login__isnull=False).count() > 75


def test_running_the_demo_twice_changes_nothing() -> None:
    first = load_demo()
    before = _counts()

    with CaptureQueriesContext(connection) as queries:
        second = load_demo()

    assert first.changed
    assert not second.changed
    assert (second.people_created, second.units_created) == (0, 0)
    assert (second.programs_created, second.cohorts_created) == (0, 0)
    assert before["cohorts"] == 3
    assert before["progress"] > 200
    assert (before["sessions"], before["threads"]) == (14, 3)
    assert before["bookings"] > 150
    assert _counts() == before
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert len(queries.captured_queries) < 20  # a few reads, whatever the size of the demo


def test_the_demo_plan_is_deterministic() -> None:
    first = plan_people(random.Random(DEMO_SEED))
    again = plan_people(random.Random(DEMO_SEED))
    other = plan_people(random.Random(DEMO_SEED + 1))

    assert first == again
    assert [s.email for s in first] != [s.email for s in other]
    assert len({s.email for s in first}) == 150
    emails = [s.email for s in first]
    assert all(emails.index(s.manager) < emails.index(s.email) for s in first if s.manager)


def test_demo_command_prints_one_login_per_role() -> None:
    out = StringIO()

    call_command("demo", stdout=out)
    call_command("demo", stdout=out)

    text = out.getvalue()
    assert "150 people added now" in text
    assert "Training calendar: 14 sessions with 167 bookings, 5 courses, 3 venues" in text
    assert "already loaded (150 people); nothing changed." in text
    assert "http://127.0.0.1:8000/" in text
    for label, email in [
        ("Program manager", "manager@demo.example"),
        ("Master trainer", "master@demo.example"),
        ("Trainer", "trainer@demo.example"),
        ("Trainer candidate", "candidate@demo.example"),
        ("Learner", "learner@demo.example"),
    ]:
        row = next(line for line in text.splitlines() if email in line)
        assert row.split()[: len(label.split())] == label.split()
        assert row.split()[-1] == "cascade-demo"
