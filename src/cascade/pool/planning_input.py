"""From the database to the optimiser's dataclasses: the sessions to staff in a period, and the
pool of trainers with what they may deliver and when.

Who is in the pool is read from the certification area (active certifications only, so a
suspended, revoked or lapsed trainer is not offered), what they deliver and cost from their
profile, when they can work from their availability minus the sessions they already staff
outside the plan. Times become whole minutes from the period's start; money stays in cents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cascade.certification.selectors import awards as certification_selectors
from cascade.delivery.models import Session, SessionStaff
from cascade.delivery.selectors import deliveries_by_course
from cascade.people.models import Person
from cascade.pool import availability, selectors
from cascade.pool.models import TrainerProfile
from cascade.pool.planning.types import Assignment, Problem, SessionIn, Slot, TrainerIn, Weights

DEFAULT_RATE_CENTS = 5000
DEFAULT_TRAVEL_CENTS = 10_000  # a trip outside the trainer's home region, when nothing is known


@dataclass
class Names:
    """Labels for the people and sessions of a problem (the optimiser only sees ids)."""

    sessions: dict[int, str] = field(default_factory=dict)
    trainers: dict[int, str] = field(default_factory=dict)


def _minutes(moment: datetime, epoch: datetime) -> int:
    return int((moment - epoch).total_seconds() // 60)


def build_problem(
    sessions: list[Session],
    *,
    start: datetime,
    end: datetime,
    weights: Weights | None = None,
    locks: tuple[Assignment, ...] = (),
    previous: tuple[Assignment, ...] = (),
    travel_buffer: int = 60,
) -> tuple[Problem, Names]:
    """The staffing problem for ``sessions`` (with their slots and venues prefetched, or not:
    a fixed number of queries either way) over ``[start, end)``."""
    names = Names()
    session_ids = [s.pk for s in sessions]
    course_ids = {s.course_id for s in sessions if s.course_id is not None}
    items: list[SessionIn] = []
    loaded = (
        Session.objects.filter(pk__in=session_ids)
        .select_related("course", "venue")
        .prefetch_related("slots")
    )
    for session in loaded:
        slots = tuple(
            Slot(_minutes(slot.starts_at, start), _minutes(slot.ends_at, start))
            for slot in session.slots.all()
            if not slot.cancelled
        )
        if not slots or session.course is None or session.course_id is None:
            continue
        first = min(slot.starts_at for slot in session.slots.all() if not slot.cancelled)
        names.sessions[session.pk] = session.title
        items.append(
            SessionIn(
                id=session.pk,
                course=session.course_id,
                slots=slots,
                month=f"{first:%Y-%m}",
                title=session.title,
                course_name=session.course.title,
                region=session.region or (session.venue.region if session.venue else ""),
                place=f"venue-{session.venue_id}" if session.venue_id else None,
                language=session.language,
                modality=session.modality,
                leads=session.leads_needed,
                co_facilitators=session.co_facilitators_needed,
                lead_level=session.course.required_level
                if session.course.required_level != "co_facilitator"
                else "certified",
            )
        )
    held = certification_selectors.active_levels(course_ids, valid_until=end)
    people = list(Person.objects.filter(pk__in=held, is_active=True).order_by("pk"))
    profiles = {p.person_id: p for p in TrainerProfile.objects.filter(person__in=people)}
    windows = selectors.availability_of(people, start=start, end=end)
    # Sessions they already staff outside this plan take that time away.
    busy: dict[int, list[availability.Window]] = defaultdict(list)
    for staff in (
        SessionStaff.objects.filter(
            person__in=people,
            status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED),
            session__slots__starts_at__lt=end,
            session__slots__ends_at__gt=start,
        )
        .exclude(session_id__in=session_ids)
        .exclude(session__status=Session.Status.CANCELLED)
        .prefetch_related("session__slots")
        .distinct()
    ):
        for slot in staff.session.slots.all():
            if not slot.cancelled:
                busy[staff.person_id].append(
                    (
                        slot.starts_at - timedelta(minutes=travel_buffer),
                        slot.ends_at + timedelta(minutes=travel_buffer),
                    )
                )
    trainers: list[TrainerIn] = []
    for person in people:
        profile = profiles.get(person.pk)
        free = availability.subtract(windows[person.pk], busy.get(person.pk, []))
        needed = _co_deliveries_needed(person, held[person.pk])
        names.trainers[person.pk] = str(person)
        trainers.append(
            TrainerIn(
                id=person.pk,
                name=str(person),
                certifications=held[person.pk],
                available=tuple(Slot(_minutes(s, start), _minutes(e, start)) for s, e in free),
                languages=frozenset(profile.languages)
                if profile and profile.languages
                else frozenset({"en"}),
                modalities=frozenset(profile.modalities)
                if profile and profile.modalities
                else frozenset({"in_person", "virtual", "hybrid"}),
                region=profile.home_region if profile else "",
                rate_cents=profile.rate_cents
                if profile and profile.rate_cents
                else DEFAULT_RATE_CENTS,
                default_travel_cents=DEFAULT_TRAVEL_CENTS,
                max_minutes=profile.max_hours_per_month * 60
                if profile and profile.max_hours_per_month
                else None,
                co_deliveries_needed=needed,
            )
        )
    problem = Problem(
        sessions=tuple(sorted(items, key=lambda s: (s.start, s.id))),
        trainers=tuple(trainers),
        travel_buffer=travel_buffer,
        weights=weights or Weights(),
        locks=locks,
        previous=previous,
    )
    return problem, names


def _co_deliveries_needed(person: Person, held: dict[int, str]) -> dict[int, int]:
    """For each course where the person is a co-facilitator: the co-deliveries the next
    level's rule still asks for (the ladder as data)."""
    candidate_courses = [c for c, level in held.items() if level == "co_facilitator"]
    if not candidate_courses:
        return {}
    done = deliveries_by_course(person.pk)
    needed: dict[int, int] = {}
    for course in candidate_courses:
        rule = certification_selectors.ladder_rules(course)["certified"]
        wanted = int(rule.requirements.get("co_deliveries", 0))
        have = done.get(course, {}).get("co_facilitator", 0)
        if wanted > have:
            needed[course] = wanted - have
    return needed
