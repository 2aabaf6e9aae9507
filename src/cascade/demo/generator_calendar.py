"""The generated organisation's training calendar: courses, venues, a year of sessions centred
on today (with their parts and trainers) and the bookings on them, written with ``bulk_create``.

Like the people, this bypasses the delivery services on purpose (100,000 enrolments through
``session_enrol`` would each lock, audit, notify and schedule reminders). It keeps what the
services guarantee instead: ``Session.enrolled_count`` is exactly the number of enrolled bookings
written; nobody is booked twice on a session or booked on one they teach; no trainer has two
sessions on the same day and no room two sessions in the same half-day; the waitlist is only on
full sessions; attendance is marked only on sessions that have ended; drafts have no bookings.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from cascade.delivery.models import (
    Attendance,
    Booking,
    Course,
    Modality,
    Session,
    SessionStaff,
    StaffRole,
    TimeSlot,
    Venue,
)
from cascade.delivery.services.sessions import CODE_ALPHABET
from cascade.people.models import OrgUnit, Person, Role

BATCH_SIZE = 2_000
TIME_ZONES: tuple[str, ...] = (
    "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Warsaw", "America/New_York",
    "America/Chicago", "Asia/Singapore", "Australia/Sydney",
)  # fmt: skip
TOPICS: tuple[str, ...] = (
    "Safe Patient Handling", "Infection Prevention", "Sepsis Recognition", "Basic Life Support",
    "Immediate Life Support", "De-escalating Conflict", "Medicines Management",
    "Blood Transfusion", "Falls Prevention", "Pressure Ulcer Prevention", "Safeguarding Adults",
    "Safeguarding Children", "Mental Capacity and Consent", "Dementia Care", "End of Life Care",
    "Nutrition and Hydration", "Clinical Record Keeping", "Tissue Viability",
    "Venepuncture and Cannulation", "Catheter Care",
)  # fmt: skip
LEVELS: tuple[str, ...] = ("Foundation", "Refresher")
# (start, end) local times of a part: a morning, an afternoon, a short online slot, a full day.
HOURS: tuple[tuple[time, time], ...] = (
    (time(9), time(12, 30)),
    (time(13, 30), time(16, 30)),
    (time(10), time(11, 30)),
    (time(9), time(16, 30)),
)
HALF_DAYS: tuple[tuple[str, ...], ...] = (("am",), ("pm",), ("am",), ("am", "pm"))
SPAN_DAYS = 182  # sessions from about six months ago to six months ahead


@dataclass(frozen=True)
class CalendarSize:
    courses: int = 0
    venues: int = 0
    sessions: int = 0
    bookings: int = 0  # aimed at; the exact number written is reported


@dataclass
class CalendarResult:
    courses: int = 0
    venues: int = 0
    sessions: int = 0
    slots: int = 0
    staff: int = 0
    bookings: int = 0
    waitlisted: int = 0


@dataclass
class _Planned:
    """A session before it is written: its people are chosen once its size is known."""

    session: Session
    days: list[date]
    hours: tuple[time, time]
    zone: str
    staff: list[tuple[Person, str]]
    pool: list[Person]
    fill: float
    past: bool
    full_with_queue: int = 0  # >0: fill it and queue this many
    slots: list[TimeSlot] = field(default_factory=list)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _courses(size: CalendarSize, prefix: str) -> list[Course]:
    titles = [f"{topic}: {level}" for level in LEVELS for topic in TOPICS]
    courses = [
        Course(
            title=title,
            slug=f"{prefix}-course-{n + 1:03}",
            summary=f"{title.split(':')[0]} for clinical staff.",
            duration_minutes=180,
        )
        for n, title in enumerate(titles[: size.courses])
    ]
    return Course.objects.bulk_create(courses, batch_size=BATCH_SIZE)


def _venues(size: CalendarSize, rng: random.Random, sites: list[OrgUnit]) -> list[Venue]:
    regions = sorted({s.parent_id or 0 for s in sites})
    venues = []
    for n in range(size.venues):
        site = sites[n % len(sites)]
        region = regions.index(site.parent_id or 0)
        venues.append(
            Venue(
                name=f"{site.name}, training room {n // len(sites) + 1}",
                address=f"{n + 1} Hospital Road",
                region=f"Region {region + 1}",
                capacity=rng.choice((16, 20, 24, 30, 40)),
                time_zone=TIME_ZONES[region % len(TIME_ZONES)],
                org_unit=site,
            )
        )
    return Venue.objects.bulk_create(venues, batch_size=BATCH_SIZE)


@dataclass
class _People:
    """Who the calendar draws on: trainers and learners by region, and one planner."""

    trainers: dict[str, list[Person]]
    learners: dict[str, list[Person]]
    everyone: list[Person]  # every learner, for online sessions
    planner: Person | None

    @classmethod
    def of(cls, roles: list[tuple[Person, str, OrgUnit | None]]) -> _People:
        trainers: dict[str, list[Person]] = {}
        learners: dict[str, list[Person]] = {}
        planner = None
        for person, role, scope in roles:
            if role in (Role.TRAINER, Role.MASTER_TRAINER):
                trainers.setdefault(person.region, []).append(person)
            elif role == Role.LEARNER:
                learners.setdefault(person.region, []).append(person)
            elif role == Role.PROGRAM_MANAGER and scope is None and planner is None:
                planner = person
        everyone = [p for group in learners.values() for p in group]
        return cls(trainers, learners, everyone, planner)


class _Calendar:
    """Plans sessions one by one, keeping rooms and trainers free of double bookings."""

    def __init__(
        self, rng: random.Random, people: _People, courses: list[Course], venues: list[Venue]
    ) -> None:
        self.rng, self.people, self.courses, self.venues = rng, people, courses, venues
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.room_taken: set[tuple[int, date, str]] = set()
        self.trainer_busy: set[tuple[int, date]] = set()
        self.all_trainers = [p for group in people.trainers.values() for p in group]

    def plan(self, number: int, prefix: str) -> _Planned:
        rng = self.rng
        course = rng.choice(self.courses)
        first = self.today + timedelta(days=rng.randint(-SPAN_DAYS, SPAN_DAYS))
        if first.weekday() >= 5:
            first += timedelta(days=7 - first.weekday())  # to the Monday
        multi = rng.random() < 0.1
        shape = 3 if multi else rng.randrange(3)
        days = [first + timedelta(days=d) for d in range(rng.choice((2, 3)) if multi else 1)]
        roll = rng.random()
        modality = Modality.IN_PERSON if roll < 0.7 else Modality.HYBRID
        if 0.7 <= roll < 0.85:
            modality = Modality.VIRTUAL
        venue = None
        if modality != Modality.VIRTUAL:
            venue = _free_room(rng, self.venues, days, HALF_DAYS[shape], self.room_taken)
            if venue is None:  # no room free: it goes online
                modality = Modality.VIRTUAL
        region = venue.region if venue is not None else ""
        trainers = self.people.trainers.get(region) or self.all_trainers
        staff = _free_trainers(rng, trainers, days, self.trainer_busy, co=rng.random() < 0.4)
        if modality == Modality.IN_PERSON and venue is not None:
            capacity = min(venue.capacity, rng.choice((12, 16, 20, 24, 30)))
        else:
            capacity = rng.choice((20, 24, 30, 40, 50))
        zone = venue.time_zone if venue is not None else TIME_ZONES[0]
        hours = HOURS[shape]
        starts = datetime.combine(days[0], hours[0], tzinfo=_zone(zone))
        ends = datetime.combine(days[-1], hours[1], tzinfo=_zone(zone))
        past = ends < self.now
        roll = rng.random()
        status = Session.Status.OPEN
        if roll < 0.03:
            status = Session.Status.CANCELLED
        elif roll < 0.07 and starts > self.now:
            status = Session.Status.DRAFT
        cancelled = status == Session.Status.CANCELLED
        session = Session(
            course=course,
            title=course.title,
            modality=modality,
            venue=venue,
            join_url=""
            if venue is not None and modality == Modality.IN_PERSON
            else (f"https://meet.example.org/{prefix}-{number}"),
            region=region,
            capacity=capacity,
            status=status,
            co_facilitators_needed=max(len(staff) - 1, 0),
            org_unit=venue.org_unit if venue is not None else None,
            check_in_code="".join(rng.choice(CODE_ALPHABET) for _ in range(6)),
            starts_at=starts,
            ends_at=ends,
            created_by=self.people.planner,
            cancelled_at=self.now - timedelta(days=rng.randint(1, 20)) if cancelled else None,
            cancel_reason="The trainer is unwell; we will offer another date." if cancelled else "",
        )
        near = (starts - self.now).days < 30
        plan = _Planned(
            session=session,
            days=days,
            hours=hours,
            zone=zone,
            staff=staff,
            pool=self.people.learners.get(region) or self.people.everyone,
            fill=rng.uniform(0.55, 1.0) if past or near else rng.uniform(0.1, 0.85),
            past=past,
        )
        if status == Session.Status.OPEN and not past and rng.random() < 0.12:
            plan.full_with_queue = rng.randint(1, 8)
        return plan


def generate_calendar(
    size: CalendarSize,
    rng: random.Random,
    *,
    prefix: str,
    sites: list[OrgUnit],
    roles: list[tuple[Person, str, OrgUnit | None]],
    log: Callable[[str], None],
) -> CalendarResult:
    """Write the calendar for people already saved; ``roles`` says who teaches and who learns."""
    result = CalendarResult()
    if not size.sessions or not sites:
        return result
    courses = _courses(size, prefix)
    venues = _venues(size, rng, sites)
    calendar = _Calendar(rng, _People.of(roles), courses, venues)
    plans = [calendar.plan(n + 1, prefix) for n in range(size.sessions)]

    # Scale the fills so that the bookings come close to the number asked for.
    live = [p for p in plans if p.session.status != Session.Status.DRAFT]
    wanted = sum(p.session.capacity * p.fill for p in live)
    factor = size.bookings / wanted if wanted else 0
    for plan in live:
        session = plan.session
        places = session.capacity * (1 if plan.full_with_queue else plan.fill * factor)
        session.enrolled_count = min(session.capacity, len(plan.pool), round(places))
    Session.objects.bulk_create([p.session for p in plans], batch_size=BATCH_SIZE)

    slots: list[TimeSlot] = []
    staff_rows: list[SessionStaff] = []
    for plan in plans:
        zone = _zone(plan.zone)
        slots.extend(
            TimeSlot(
                session=plan.session,
                starts_at=datetime.combine(day, plan.hours[0], tzinfo=zone),
                ends_at=datetime.combine(day, plan.hours[1], tzinfo=zone),
            )
            for day in plan.days
        )
        draft = plan.session.status == Session.Status.DRAFT
        staff_status = SessionStaff.Status.ASSIGNED if draft else SessionStaff.Status.ACCEPTED
        staff_rows.extend(
            SessionStaff(session=plan.session, person=person, role=role, status=staff_status)
            for person, role in plan.staff
        )
    TimeSlot.objects.bulk_create(slots, batch_size=BATCH_SIZE)
    SessionStaff.objects.bulk_create(staff_rows, batch_size=BATCH_SIZE)
    result.courses, result.venues, result.sessions = len(courses), len(venues), len(plans)
    result.slots, result.staff = len(slots), len(staff_rows)
    log(
        f"{result.courses} courses, {result.venues} venues, {result.sessions} sessions "
        f"({result.slots} parts, {result.staff} trainers on them)"
    )

    bookings = _bookings(rng, plans, calendar.now)
    insert_values(Booking, bookings)
    result.bookings = len(bookings)
    result.waitlisted = sum(1 for b in bookings if b["status"] == Booking.Status.WAITLISTED)
    log(f"{result.bookings} bookings ({result.waitlisted} on waitlists)")
    return result


def _free_room(
    rng: random.Random,
    venues: list[Venue],
    days: list[date],
    halves: tuple[str, ...],
    taken: set[tuple[int, date, str]],
) -> Venue | None:
    for _ in range(8):
        venue = rng.choice(venues)
        wanted = {(venue.pk, day, half) for day in days for half in halves}
        if not wanted & taken:
            taken |= wanted
            return venue
    return None


def _free_trainers(
    rng: random.Random,
    trainers: list[Person],
    days: list[date],
    busy: set[tuple[int, date]],
    *,
    co: bool,
) -> list[tuple[Person, str]]:
    """A lead (and perhaps a co-facilitator) with nothing else on those days."""
    picked: list[tuple[Person, str]] = []
    for role in (StaffRole.LEAD, StaffRole.CO_FACILITATOR) if co else (StaffRole.LEAD,):
        for _ in range(50):
            person = rng.choice(trainers)
            wanted = {(person.pk, day) for day in days}
            if not wanted & busy:
                busy |= wanted
                picked.append((person, role))
                break
    return picked


def _bookings(rng: random.Random, plans: list[_Planned], now: datetime) -> list[dict[str, Any]]:
    """Everyone's place, as column values: enrolled up to the count already set, the queue
    behind full sessions, a few who cancelled, and attendance on the sessions that have ended."""
    rows: list[dict[str, Any]] = []
    marks = (
        (0.80, Attendance.PRESENT),
        (0.88, Attendance.LATE),
        (0.95, Attendance.ABSENT),
        (1.01, Attendance.EXCUSED),
    )
    for plan in plans:
        session = plan.session
        if session.status == Session.Status.DRAFT:
            continue
        starts = session.starts_at or now
        before = min(now, starts)  # nobody booked in the future
        cancelled = 1 if rng.random() < 0.3 else 0
        wanted = session.enrolled_count + plan.full_with_queue + cancelled
        people = rng.sample(plan.pool, min(wanted, len(plan.pool)))
        lead = plan.staff[0][0].pk if plan.staff else None
        marked = plan.past and session.status == Session.Status.OPEN
        for n, person in enumerate(people):
            row: dict[str, Any] = {"session_id": session.pk, "person_id": person.pk}
            if n < session.enrolled_count:
                row["status"] = Booking.Status.ENROLLED
                row["enrolled_at"] = before - timedelta(days=rng.randint(1, 40), hours=n)
                if marked:
                    roll = rng.random()
                    row["attendance"] = next(mark for limit, mark in marks if roll < limit)
                    row["attendance_marked_by_id"] = lead
                    row["attendance_at"] = session.ends_at
            elif n < session.enrolled_count + plan.full_with_queue:
                row["status"] = Booking.Status.WAITLISTED
                row["waitlisted_at"] = before - timedelta(hours=len(people) - n)
            else:
                row["status"] = Booking.Status.CANCELLED
                row["enrolled_at"] = before - timedelta(days=rng.randint(10, 40))
                row["cancelled_at"] = before - timedelta(days=rng.randint(0, 9), hours=1)
                row["late_cancel"] = row["cancelled_at"] > starts - timedelta(hours=48)
            rows.append(row)
    return rows


def insert_values(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """``INSERT`` plain column values (by attribute name) in batches, through Django's cursor.

    For the 100,000 bookings: ``bulk_create`` spends three times as long preparing each field of
    each model instance as the database spends inserting. Fields a row leaves out get their
    default (``auto_now_add`` ones the current time), as ``bulk_create`` would give them.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {
        f.attname: now if getattr(f, "auto_now_add", False) else f.get_default() for f in fields
    }
    adapt = {
        f.attname: connection.ops.adapt_datetimefield_value
        for f in fields
        if f.get_internal_type() == "DateTimeField"
    }
    quote = connection.ops.quote_name
    # Only names from the model's own metadata go into the SQL; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    names = [f.attname for f in fields]
    values = [
        tuple(
            adapt[name](row.get(name, defaults[name]))
            if name in adapt
            else row.get(name, defaults[name])
            for name in names
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH_SIZE):
            cursor.executemany(sql, values[start : start + BATCH_SIZE])
