"""The synthetic organisation generator (the small scale; the large one is measured in docs)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from cascade.delivery.models import (
    Attendance,
    Booking,
    Course,
    Session,
    SessionStaff,
    StaffRole,
    TimeSlot,
    Venue,
)
from cascade.demo.generator import SCALES
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

pytestmark = pytest.mark.django_db


def _small_people():  # type: ignore[no-untyped-def]
    return Person.objects.filter(email__endswith="@small.example")


def test_generate_small_makes_the_expected_organisation() -> None:
    out = StringIO()

    call_command("generate", "--scale", "small", stdout=out)

    people = _small_people()
    assert people.count() == 2000
    assert OrgUnit.objects.filter(code__startswith="small-").count() == 1 + 3 + 9 + 27
    roles = RoleAssignment.objects.filter(person__email__endswith="@small.example")
    assert roles.filter(role=Role.TRAINER).count() == 80
    assert roles.filter(role=Role.MASTER_TRAINER).count() == 4
    assert roles.filter(role=Role.PROGRAM_MANAGER, org_unit__isnull=True).count() == 1
    assert roles.filter(role=Role.PROGRAM_MANAGER, org_unit__isnull=False).count() == 2
    assert roles.count() == 2000  # one role each
    assert "Generated the small organisation: 2000 people in 40 org units" in out.getvalue()


def test_every_generated_person_but_the_top_has_a_manager_with_the_manager_role() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())

    people = _small_people()
    assert list(people.filter(manager__isnull=True).values_list("job_title", flat=True)) == [
        "Chief Executive"
    ]
    managers = set(people.exclude(manager=None).values_list("manager_id", flat=True))
    with_role = set(
        RoleAssignment.objects.filter(role=Role.MANAGER, person_id__in=managers).values_list(
            "person_id", flat=True
        )
    )
    assert managers == with_role
    # Every manager sits in the same unit as their reports or in the unit just above.
    pairs = people.exclude(manager=None).values_list("org_unit__path", "manager__org_unit__path")
    assert all(path.startswith(manager_path) for path, manager_path in pairs)


def test_generated_units_have_correct_paths() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())

    units = OrgUnit.objects.filter(code__startswith="small-").select_related("parent")
    for unit in units:
        expected = f"{unit.parent.path}{unit.pk}/" if unit.parent else f"/{unit.pk}/"
        assert (unit.path, unit.depth) == (expected, expected.count("/") - 2)


def test_generating_twice_says_so_and_changes_nothing() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())
    out = StringIO()

    call_command("generate", "--scale", "small", stdout=out)

    assert _small_people().count() == 2000
    assert Person.objects.count() == 2000
    assert Session.objects.count() == 200
    assert out.getvalue().strip() == (
        "The small organisation already exists (2000 people in 40 org units); nothing to do."
    )


def test_generated_people_share_one_password_hash() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())

    hashes = set(_small_people().values_list("password", flat=True))
    assert len(hashes) == 1
    assert _small_people().first().check_password("cascade-demo")  # type: ignore[union-attr]


def test_the_large_scale_meets_the_benchmark_brief() -> None:
    large = SCALES["large"]
    units = 1 + large.regions * (1 + large.sites_per_region * (1 + large.departments_per_site))

    assert large.people >= 50_000
    assert large.trainers >= 2_000
    assert large.master_trainers == 100
    assert large.global_program_managers + large.scoped_program_managers == 50
    assert 200 <= units <= 500


def test_generate_small_makes_a_consistent_training_calendar() -> None:
    out = StringIO()

    call_command("generate", "--scale", "small", stdout=out)

    size = SCALES["small"].calendar
    assert Course.objects.filter(slug__startswith="small-").count() == size.courses == 8
    assert Venue.objects.filter(org_unit__code__startswith="small-").count() == size.venues
    sessions = Session.objects.annotate(
        enrolled=Count("bookings", filter=Q(bookings__status=Booking.Status.ENROLLED)),
        waiting=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
        all_bookings=Count("bookings"),
    )
    spans = {
        row["session_id"]: (row["first"], row["last"])
        for row in TimeSlot.objects.values("session_id").annotate(
            first=Min("starts_at"), last=Max("ends_at")
        )
    }
    assert sessions.count() == size.sessions == 200
    total = Booking.objects.count()
    assert 0.9 * size.bookings <= total <= 1.1 * size.bookings
    assert f"{total} bookings" in out.getvalue()
    now = timezone.now()
    for session in sessions:
        # The counter is exactly the enrolled rows; the queue only behind a full session.
        assert session.enrolled_count == session.enrolled <= session.capacity
        if session.waiting:
            assert session.enrolled_count == session.capacity
            assert session.status == Session.Status.OPEN
            assert session.starts_at > now
        if session.status == Session.Status.DRAFT:
            assert session.all_bookings == 0
            assert session.starts_at > now
        assert (session.starts_at, session.ends_at) == spans[session.pk]
    kinds = set(sessions.values_list("modality", "status"))
    assert {m for m, _ in kinds} == {"in_person", "virtual", "hybrid"}
    assert {s for _, s in kinds} == {"open", "draft", "cancelled"}
    assert sessions.filter(waiting__gt=0).exists()


def test_generated_attendance_is_marked_only_on_sessions_that_ended() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())

    now = timezone.now()
    marked = Booking.objects.exclude(attendance=Attendance.NOT_MARKED)
    assert marked.exists()
    assert not marked.filter(session__ends_at__gt=now).exists()
    assert not marked.exclude(status=Booking.Status.ENROLLED).exists()
    ended = Booking.objects.filter(
        session__ends_at__lt=now,
        session__status=Session.Status.OPEN,
        status=Booking.Status.ENROLLED,
    )
    assert not ended.filter(attendance=Attendance.NOT_MARKED).exists()
    assert ended.filter(attendance=Attendance.PRESENT).count() > ended.count() * 0.7


def test_generated_sessions_are_taught_by_trainers_free_at_the_time() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())

    trainers = set(
        RoleAssignment.objects.filter(
            role__in=[Role.TRAINER, Role.MASTER_TRAINER], person__email__endswith="@small.example"
        ).values_list("person_id", flat=True)
    )
    staff = SessionStaff.objects.all()
    assert set(staff.values_list("person_id", flat=True)) <= trainers
    assert staff.filter(role=StaffRole.LEAD).count() == Session.objects.count()
    # Nobody teaches a session they are booked on, or two sessions at overlapping times.
    assert not Booking.objects.filter(session__staff__person_id=F("person_id")).exists()
    parts: dict[int, list[tuple[object, object]]] = defaultdict(list)
    for person_id, start, end in TimeSlot.objects.values_list(
        "session__staff__person_id", "starts_at", "ends_at"
    ):
        parts[person_id].append((start, end))
    for spans in parts.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
