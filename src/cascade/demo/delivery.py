"""The demo's training calendar: five courses, three venues and fourteen sessions around today.

Sessions run from three weeks ago to six weeks ahead, in person, online and hybrid: a two-day
practical running today (led by the demo trainer, attendance still to mark), past sessions with
attendance marked, a full one with a waitlist (the demo learner second in the queue), an open one
the demo learner can still join, one cancelled with its reason, a draft, and the Spring 2026
intake's live workshop in three days. Three discussion threads give the forum something to show.
What is planned is data, in :mod:`cascade.demo.delivery_plan`; this module loads it.

Everything goes through the delivery services (courses and venues, sessions, staffing, places,
cancellation, attendance, threads and posts), so counters, audit entries and notifications are
what real use leaves behind, with one exception: places on sessions that have already started
cannot be taken through ``session_enrol`` (it refuses, rightly), so those bookings are written
directly, with ``enrolled_count`` set to exactly the rows written.

Idempotent per session: sessions are keyed by title (every demo title is distinct), threads by
title, courses by slug and venues by name. A second run reads two row sets and writes nothing;
dates are relative to the day of the first run, like the cohorts' start dates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from cascade.delivery.models import (
    Attendance,
    Booking,
    Course,
    Post,
    Session,
    SessionStaff,
    StaffRole,
    Thread,
    Venue,
)
from cascade.delivery.services import attendance as attendance_services
from cascade.delivery.services import courses as course_services
from cascade.delivery.services import discussions as discussion_services
from cascade.delivery.services import enrolment as enrolment_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.reminders import reminders_send
from cascade.delivery.services.sessions import SessionDetails
from cascade.demo.delivery_plan import (
    COURSES,
    IN_PERSON,
    JOIN,
    SESSIONS,
    THREADS,
    VENUES,
    SessionSpec,
)
from cascade.demo.learning import SPRING
from cascade.demo.organisation import (
    DEMO_SEED,
    LEARNER_EMAIL,
    MASTER_EMAIL,
    PM_EMAIL,
    ROOT_CODE,
    TIME_ZONE,
    TRAINER_EMAIL,
    plan_org_units,
    plan_people,
)
from cascade.learning.curriculum.install import TRAINER_ESSENTIALS_SLUG
from cascade.learning.models import Cohort, Step, StepKind
from cascade.people.models import OrgUnit, Person

LOCAL = ZoneInfo(TIME_ZONE)


@dataclass
class DeliverySummary:
    """What the delivery part of a demo run added; ``changed`` is False on a second run."""

    courses_created: int = 0
    venues_created: int = 0
    sessions_created: int = 0
    bookings_created: int = 0
    threads_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.courses_created
            or self.venues_created
            or self.sessions_created
            or self.bookings_created
            or self.threads_created
        )

    def describe(self) -> str:
        return (
            f"Training calendar: {self.sessions_created} sessions with {self.bookings_created} "
            f"bookings, {self.courses_created} courses, {self.venues_created} venues and "
            f"{self.threads_created} discussions added now."
        )


def _at(today: date, days: int, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=LOCAL)


@dataclass
class _Cast:
    """The demo people the calendar needs, by what they do and where they work."""

    people: dict[str, Person]
    learners: dict[str, list[Person]] = field(default_factory=dict)  # region -> learners
    trainers: dict[str, list[Person]] = field(default_factory=dict)  # region -> trainers
    masters: dict[str, Person] = field(default_factory=dict)  # region -> master trainer

    @classmethod
    def load(cls) -> _Cast:
        specs = plan_people(random.Random(DEMO_SEED))
        people = {p.email: p for p in Person.objects.filter(email__in=[s.email for s in specs])}
        region_of = {u.code: u.region for u in plan_org_units()}
        cast = cls(people)
        for spec in specs:
            person = people.get(spec.email)
            if person is None or not person.is_active or spec.invite or spec.leaver:
                continue
            region = region_of[spec.unit]
            if spec.kind == "learner" and spec.email != LEARNER_EMAIL:
                cast.learners.setdefault(region, []).append(person)
            elif spec.kind == "trainer" and spec.email != TRAINER_EMAIL:
                cast.trainers.setdefault(region, []).append(person)
            elif spec.kind == "master_trainer" and region:
                cast.masters[region] = person
        return cast

    def staff(self, key: str) -> Person:
        if key == "trainer":
            return self.people[TRAINER_EMAIL]
        if key == "master":
            return self.people[MASTER_EMAIL]
        kind, region, *n = key.split(":")
        if kind == "master":
            return self.masters[region]
        return self.trainers[region][int(n[0])]

    def learners_in(self, region: str) -> list[Person]:
        if region:
            return self.learners[region]
        return [p for group in self.learners.values() for p in group]


def _load_courses(pm: Person, summary: DeliverySummary) -> dict[str, Course]:
    courses = {c.slug: c for c in Course.objects.filter(slug__in=[c.slug for c in COURSES])}
    owner = OrgUnit.objects.filter(code=ROOT_CODE).first()
    for spec in COURSES:
        if spec.slug not in courses:
            courses[spec.slug] = course_services.course_create(
                actor=pm,
                slug=spec.slug,
                title=spec.title,
                summary=spec.summary,
                objectives=spec.objectives,
                audience=spec.audience,
                duration_minutes=spec.duration_minutes,
                required_level=spec.required_level,
                org_unit=owner,
            )
            summary.courses_created += 1
    return courses


def _load_venues(pm: Person, summary: DeliverySummary) -> dict[str, Venue]:
    found = {v.name: v for v in Venue.objects.filter(name__in=[v.name for v in VENUES])}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[v.unit for v in VENUES])}
    venues: dict[str, Venue] = {}
    for spec in VENUES:
        venue = found.get(spec.name)
        if venue is None:
            venue = course_services.venue_create(
                actor=pm,
                name=spec.name,
                address=spec.address,
                region=spec.region,
                capacity=spec.capacity,
                time_zone=TIME_ZONE,
                org_unit=units.get(spec.unit),
            )
            summary.venues_created += 1
        venues[spec.key] = venue
    return venues


def _spring_live_step() -> tuple[Cohort | None, Step | None]:
    cohort = (
        Cohort.objects.select_related("program", "version")
        .filter(name=SPRING, program__slug=TRAINER_ESSENTIALS_SLUG)
        .first()
    )
    if cohort is None:
        return None, None
    step = Step.objects.filter(version=cohort.version, kind=StepKind.LIVE_SESSION).first()
    return cohort, step


class _Planner:
    """Creates one session as a program manager would: plan, staff, open, fill, then (for the
    past) take attendance, or cancel."""

    def __init__(self, cast: _Cast, rng: random.Random, summary: DeliverySummary) -> None:
        self.cast, self.rng, self.summary = cast, rng, summary
        self.pm = cast.people[PM_EMAIL]
        self.today = timezone.localtime(timezone.now(), LOCAL).date()
        self.now = timezone.now()

    def create(
        self,
        spec: SessionSpec,
        *,
        course: Course | None,
        venue: Venue | None,
        cohort: Cohort | None = None,
        step: Step | None = None,
    ) -> Session:
        slots = [
            (_at(self.today, d, spec.hours[0]), _at(self.today, d, spec.hours[1]))
            for d in spec.days
        ]
        join = ""
        if spec.modality != IN_PERSON:
            join = f"{JOIN}{spec.course}-{self.rng.randint(1000, 9999)}"
        session = session_services.session_create(
            details=SessionDetails(
                title=spec.title,
                capacity=spec.capacity,
                slots=slots,
                modality=spec.modality,
                venue=venue,
                join_url=join,
                description=spec.description,
                region=venue.region if venue is not None else "",
                co_facilitators_needed=1 if spec.co else 0,
                needs_approval=spec.needs_approval,
            ),
            actor=self.pm,
            course=course,
            cohort=cohort,
            step=step,
        )
        draft = spec.status == Session.Status.DRAFT
        status = SessionStaff.Status.ASSIGNED if draft else SessionStaff.Status.ACCEPTED
        staff = [
            (spec.lead, StaffRole.LEAD),
            *([(spec.co, StaffRole.CO_FACILITATOR)] if spec.co else []),
        ]
        for key, role in staff:
            session_services.staff_assign(
                session=session,
                person=self.cast.staff(key),
                role=role,
                actor=self.pm,
                status=status,
            )
        if draft:
            return session
        session = session_services.session_publish(session=session, actor=self.pm)
        if cohort is not None:
            self._enrol_cohort(session, cohort)
        elif session.starts_at is not None and session.starts_at <= self.now:
            self._book_past(session, spec)
        else:
            self._book(session, spec)
        if spec.status == Session.Status.CANCELLED:
            session = session_services.session_cancel(
                session=session, actor=self.pm, reason=spec.cancel_reason
            )
        return session

    def _others(self, spec: SessionSpec, n: int) -> list[Person]:
        pool = self.cast.learners_in(spec.region)
        return self.rng.sample(pool, min(n, len(pool)))

    def _book(self, session: Session, spec: SessionSpec) -> None:
        """Future places through the enrolment service: self-enrolment, the queue once full,
        and line managers' nominations waiting for approval."""
        picked = self._others(spec, spec.learners + spec.waitlist + spec.nominated)
        queue = picked[: spec.learners + spec.waitlist]
        if spec.demo_learner == "enrolled":
            queue.insert(self.rng.randrange(len(queue) + 1), self.cast.people[LEARNER_EMAIL])
        elif spec.demo_learner == "waitlisted":
            queue.insert(spec.learners + 1, self.cast.people[LEARNER_EMAIL])  # second in line
        for person in queue:
            enrolment_services.session_enrol(session=session, person=person, actor=person)
            self.summary.bookings_created += 1
        for person in picked[spec.learners + spec.waitlist :]:
            manager = person.manager
            if manager is not None:
                enrolment_services.session_nominate(session=session, person=person, actor=manager)
                self.summary.bookings_created += 1

    def _enrol_cohort(self, session: Session, cohort: Cohort) -> None:
        """The intake's members, put on their workshop by the program manager."""
        members = Person.objects.filter(program_enrolments__cohort=cohort).order_by("pk")
        for person in members:
            enrolment_services.session_enrol(session=session, person=person, actor=self.pm)
            self.summary.bookings_created += 1

    def _book_past(self, session: Session, spec: SessionSpec) -> None:
        """Places on a session that has started, written directly (the service refuses them),
        then attendance through the service as the lead trainer takes it."""
        people = self._others(spec, spec.learners)
        if spec.demo_learner:
            people.append(self.cast.people[LEARNER_EMAIL])
        start = session.starts_at or self.now
        rows = Booking.objects.bulk_create(
            [
                Booking(
                    session=session,
                    person=p,
                    status=Booking.Status.ENROLLED,
                    enrolled_at=start - timedelta(days=self.rng.randint(4, 30), hours=3),
                )
                for p in people
            ]
        )
        Session.objects.filter(pk=session.pk).update(enrolled_count=len(rows))
        session.enrolled_count = len(rows)
        self.summary.bookings_created += len(rows)
        if not spec.mark:
            return
        marks: dict[int, str] = {}
        for booking in Booking.objects.filter(session=session).select_related("person"):
            roll = self.rng.random()
            mark = Attendance.PRESENT
            if booking.person.email != LEARNER_EMAIL:
                if roll > 0.95:
                    mark = Attendance.EXCUSED
                elif roll > 0.88:
                    mark = Attendance.ABSENT
                elif roll > 0.78:
                    mark = Attendance.LATE
            marks[booking.pk] = mark
        lead = self.cast.staff(spec.lead)
        attendance_services.attendance_mark(session=session, marks=marks, actor=lead)


def _load_threads(
    cast: _Cast, sessions: dict[str, Session], courses: dict[str, Course], cohort: Cohort | None
) -> int:
    """A question answered by the demo trainer, the spring intake's warm-up and a session
    thread, posted through the discussion service as their authors would; then dated over the
    last day, so the forum does not look written in one second."""
    have = set(
        Thread.objects.filter(title__in=[t[2] for t in THREADS]).values_list("title", flat=True)
    )
    created = 0
    now = timezone.now()
    for place_key, kind, title, posts in THREADS:
        place = _place(place_key, sessions, courses, cohort)
        if title in have or place is None:
            continue
        authors = [_author(cast, who, sessions) for who, _body in posts]
        thread = discussion_services.thread_start(
            place=place, author=authors[0], title=title, body=posts[0][1], kind=kind
        )
        for author, (_who, body) in zip(authors[1:], posts[1:], strict=True):
            post = discussion_services.post_reply(thread=thread, author=author, body=body)
            if kind == Thread.Kind.QUESTION and thread.answer_id is None:
                thread = discussion_services.thread_mark_answered(
                    thread=thread, actor=author, post=post
                )
        rows = list(Post.objects.filter(thread=thread).order_by("pk"))
        for n, row in enumerate(rows):
            row.created_at = now - timedelta(hours=5 * (len(rows) - n), minutes=13 * n)
        Post.objects.bulk_update(rows, ["created_at"])
        Thread.objects.filter(pk=thread.pk).update(
            created_at=rows[0].created_at, last_activity_at=rows[-1].created_at
        )
        created += 1
    return created


def _place(
    key: str, sessions: dict[str, Session], courses: dict[str, Course], cohort: Cohort | None
) -> Course | Session | Cohort | None:
    kind, _sep, name = key.partition(":")
    if kind == "course":
        return courses.get(name)
    if kind == "session":
        return sessions.get(name)
    return cohort


def _author(cast: _Cast, who: str, sessions: dict[str, Session]) -> Person:
    if not who.startswith("learner:"):
        return cast.people[who]
    session = sessions[who.removeprefix("learner:")]
    booking = (
        Booking.objects.filter(session=session, status=Booking.Status.ENROLLED)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    assert booking is not None, f"nobody is booked on {session.title}"
    return booking.person  # type: ignore[return-value]


def load_delivery(rng: random.Random) -> DeliverySummary:
    """Add the training calendar: what exists (sessions and threads, by title) is left alone.

    Needs the demo people and, for the live workshop, the spring intake (``load_demo`` runs it
    after both). Two reads when everything is loaded.
    """
    summary = DeliverySummary()
    titles = [s.title for s in SESSIONS]
    existing = {s.title: s for s in Session.objects.filter(title__in=titles)}
    threads = Thread.objects.filter(title__in=[t[2] for t in THREADS]).count()
    if len(existing) == len(titles) and threads == len(THREADS):
        return summary

    cast = _Cast.load()
    courses = _load_courses(cast.people[PM_EMAIL], summary)
    venues = _load_venues(cast.people[PM_EMAIL], summary)
    cohort, step = _spring_live_step()
    planner = _Planner(cast, rng, summary)
    sessions: dict[str, Session] = {}
    created: list[Session] = []
    for spec in SESSIONS:
        if spec.title in existing:
            sessions[spec.title] = existing[spec.title]
            continue
        if not spec.course and (cohort is None or step is None):
            continue  # no spring intake (the learning part is not loaded): no workshop
        session = planner.create(
            spec,
            course=courses[spec.course] if spec.course else None,
            venue=venues[spec.venue] if spec.venue else None,
            cohort=None if spec.course else cohort,
            step=None if spec.course else step,
        )
        sessions[spec.title] = session
        created.append(session)
        summary.sessions_created += 1
    summary.threads_created = _load_threads(cast, sessions, courses, cohort)
    # Reminders already due (a part starting within a day) are sent now, inside the load, so
    # they stay in the app like the rest; the worker's later sweep finds them sent.
    for session in created:
        if session.status == Session.Status.OPEN:
            reminders_send(session_id=session.pk)
    return summary
