"""Reads of delivery: the session finder, a session's page, a person's own sessions. Each does a
fixed number of queries whatever the number of sessions or bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from cascade.delivery import rules
from cascade.delivery.models import Booking, Session, SessionStaff, TimeSlot
from cascade.people.models import Person


@dataclass
class SessionFilters:
    """What the finder and ``GET /api/v1/sessions`` filter on (all optional)."""

    q: str = ""
    course: int | None = None
    modality: str = ""
    region: str = ""
    language: str = ""
    status: str = ""  # draft | open | full | cancelled
    starts_from: date | None = None
    starts_until: date | None = None
    include_past: bool = False


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def sessions_find(viewer: Person, filters: SessionFilters) -> QuerySet[Session]:
    """Sessions the viewer may see, filtered, soonest first, with what a list row shows."""
    qs = rules.sessions_visible(viewer).select_related("course", "venue")
    if not filters.include_past and filters.starts_from is None:
        qs = qs.filter(ends_at__gte=timezone.now())
    if filters.starts_from is not None:
        qs = qs.filter(starts_at__gte=_day_start(filters.starts_from))
    if filters.starts_until is not None:
        qs = qs.filter(starts_at__lt=_day_start(filters.starts_until + timedelta(days=1)))
    if filters.course is not None:
        qs = qs.filter(course_id=filters.course)
    if filters.modality:
        qs = qs.filter(modality=filters.modality)
    if filters.region:
        qs = qs.filter(region__iexact=filters.region)
    if filters.language:
        qs = qs.filter(language__iexact=filters.language)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(course__title__icontains=filters.q))
    if filters.status == "full":
        qs = qs.filter(status=Session.Status.OPEN, enrolled_count__gte=F("capacity"))
    elif filters.status == "open":
        qs = qs.filter(status=Session.Status.OPEN, enrolled_count__lt=F("capacity"))
    elif filters.status in (Session.Status.DRAFT, Session.Status.CANCELLED):
        qs = qs.filter(status=filters.status)
    return qs.order_by("starts_at", "id")


def my_bookings_by_session(viewer: Person, session_ids: list[int]) -> dict[int, Booking]:
    """The viewer's own booking on each listed session (one query)."""
    return {
        b.session_id: b for b in Booking.objects.filter(person=viewer, session_id__in=session_ids)
    }


def session_detail(pk: int) -> Session | None:
    """A session with its course, venue, slots and staff (4 queries)."""
    return (
        Session.objects.select_related("course", "venue", "cohort__program", "step")
        .prefetch_related(
            Prefetch("slots", queryset=TimeSlot.objects.order_by("starts_at", "id")),
            Prefetch(
                "staff",
                queryset=SessionStaff.objects.select_related("person").order_by("role", "id"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class Roster:
    enrolled: list[Booking]
    waitlist: list[Booking]
    pending: list[Booking]
    cancelled: list[Booking]


def session_roster(session: Session) -> Roster:
    """Everyone with a booking, grouped; the waitlist in queue order (1 query)."""
    rows = list(
        Booking.objects.filter(session=session)
        .select_related("person", "nominated_by")
        .order_by("waitlisted_at", "created_at", "id")
    )
    by = {s: [b for b in rows if b.status == s] for s in Booking.Status.values}
    enrolled = sorted(by[Booking.Status.ENROLLED], key=lambda b: b.person.display_name.lower())
    return Roster(
        enrolled=enrolled,
        waitlist=by[Booking.Status.WAITLISTED],
        pending=by[Booking.Status.PENDING],
        cancelled=by[Booking.Status.CANCELLED] + by[Booking.Status.DECLINED],
    )


def my_upcoming(viewer: Person, *, limit: int = 20) -> list[Session]:
    """Sessions the viewer is on (as learner or trainer) that have not ended, soonest first."""
    now = timezone.now()
    booked = Booking.objects.filter(
        person=viewer,
        status__in=(Booking.Status.ENROLLED, Booking.Status.WAITLISTED, Booking.Status.PENDING),
    ).values("session_id")
    staffing = SessionStaff.objects.filter(
        person=viewer, status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
    ).values("session_id")
    return list(
        Session.objects.filter(Q(pk__in=booked) | Q(pk__in=staffing), ends_at__gte=now)
        .exclude(status=Session.Status.DRAFT)
        .select_related("course", "venue")
        .order_by("starts_at")[:limit]
    )


def waitlist_counts(session_ids: list[int]) -> dict[int, int]:
    return dict(
        Booking.objects.filter(session_id__in=session_ids, status=Booking.Status.WAITLISTED)
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )


def deliveries_by_role(
    person_id: int,
    *,
    course_id: int | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """How many finished, not cancelled sessions a person staffed, per role (lead,
    co_facilitator), optionally for one course and since a date: the evidence the
    certification ladder and renewals count. One query."""
    now = now or timezone.now()
    qs = SessionStaff.objects.filter(
        person_id=person_id,
        status=SessionStaff.Status.ACCEPTED,
        session__ends_at__lte=now,
        session__course__isnull=False,
    ).exclude(session__status__in=(Session.Status.CANCELLED, Session.Status.DRAFT))
    if course_id is not None:
        qs = qs.filter(session__course_id=course_id)
    if since is not None:
        qs = qs.filter(session__ends_at__gte=since)
    counts = dict(qs.values("role").annotate(n=Count("id")).values_list("role", "n"))
    return {role: counts.get(role, 0) for role in ("lead", "co_facilitator")}


def sessions_staffed(person_id: int, *, limit: int = 50) -> list[Session]:
    """The person's most recent sessions as lead or co-facilitator (not cancelled), newest
    first: what an observed delivery can be about. One query."""
    return list(
        Session.objects.filter(
            staff__person_id=person_id,
            staff__status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED),
            course__isnull=False,
        )
        .exclude(status__in=(Session.Status.CANCELLED, Session.Status.DRAFT))
        .select_related("course")
        .order_by("-starts_at", "-pk")[:limit]
    )


def deliveries_by_course(
    person_id: int, *, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """:func:`deliveries_by_role` for every course at once ({course id: {role: count}}), for
    pages that show a person's standing on several courses. One query."""
    now = now or timezone.now()
    rows = (
        SessionStaff.objects.filter(
            person_id=person_id,
            status=SessionStaff.Status.ACCEPTED,
            session__ends_at__lte=now,
            session__course__isnull=False,
        )
        .exclude(session__status__in=(Session.Status.CANCELLED, Session.Status.DRAFT))
        .values("session__course_id", "role")
        .annotate(n=Count("id"))
        .values_list("session__course_id", "role", "n")
    )
    result: dict[int, dict[str, int]] = {}
    for course_id, role, n in rows:
        result.setdefault(course_id, {"lead": 0, "co_facilitator": 0})[role] = n
    return result


def staffed_course_ids(person_id: int) -> set[int]:
    """Courses of every session the person has staffed or will staff. One query."""
    return set(
        SessionStaff.objects.filter(person_id=person_id, session__course__isnull=False)
        .values_list("session__course_id", flat=True)
        .distinct()
    )
