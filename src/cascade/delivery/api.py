"""The delivery area's API: courses, sessions (find, read, plan, open, cancel), places on them
(enrol, nominate, cancel, the roster) and attendance (marks and self check-in).

Handlers parse (``schemas``), authorise (``rules``), call one service or selector, and return.
``request.auth`` is the calling ``Person`` (``cascade.api.auth``); services refuse with
``ApplicationError`` and ``cascade.api.errors`` turns that into a problem document. A session the
caller may not see answers 404, the same as a missing id; one they may see but not change
answers 403. The roster and attendance are 404 to everyone but the session's managers and
trainers, so a learner cannot tell a roster exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, Query, Router, Status

from cascade.core.api import ERRORS, paginate
from cascade.core.errors import ApplicationError, Forbidden, NotFound
from cascade.delivery import rules, selectors
from cascade.delivery.models import Booking, Course, Session, SessionStaff, TimeSlot, Venue
from cascade.delivery.schemas import (
    AttendanceOut,
    BookingOut,
    CancelIn,
    CheckInIn,
    CourseIn,
    CourseOut,
    CoursePage,
    CoursesQuery,
    CourseUpdateIn,
    MarksIn,
    RosterOut,
    SessionCreateIn,
    SessionDetailOut,
    SessionEnrolIn,
    SessionPage,
    SessionsQuery,
)
from cascade.delivery.services import attendance as attendance_services
from cascade.delivery.services import courses as course_services
from cascade.delivery.services import enrolment as enrol_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.sessions import SessionDetails
from cascade.people.models import OrgUnit, Person
from cascade.people.rules import can_manage_unit, managed_unit_paths

courses_router = Router(tags=["courses"])
sessions_router = Router(tags=["sessions"])
bookings_router = Router(tags=["session enrolments"])

_STAFFING = (SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
_SLOTS_IN_ORDER = Prefetch("slots", queryset=TimeSlot.objects.order_by("starts_at", "id"))


# --- Helpers: who is asking, and the objects they name --------------------------------------


def _viewer(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person


def _require_planner(viewer: Person) -> None:
    if not rules.can_plan(viewer):
        raise Forbidden(_("Only program managers may plan courses and sessions."))


def _courses_visible(viewer: Person, *, include_archived: bool) -> QuerySet[Course]:
    """Every current course (the catalogue is open to everyone signed in); archived ones only
    to those who manage them."""
    q = Q(archived_at__isnull=True)
    if include_archived:
        q |= Q(pk__in=rules.courses_manageable(viewer).values("pk"))
    return Course.objects.filter(q)


def _visible_course(viewer: Person, pk: int) -> Course:
    course = _courses_visible(viewer, include_archived=True).filter(pk=pk).first()
    if course is None:
        raise NotFound(_("No such course."))
    return course


def _with_guide(viewer: Person, course: Course) -> Course:
    """Mark the course so its facilitator guide is shown: to its planners and trainers only."""
    course.show_guide = rules.can_see_trainer_material(viewer, course)  # type: ignore[attr-defined]
    return course


def _org_unit_for(viewer: Person, pk: int | None) -> OrgUnit | None:
    """The unit a program manager files a course under: one of theirs (any, or none, if they
    are organisation-wide). Otherwise they could make a course they cannot manage."""
    unit = None
    if pk is not None:
        unit = OrgUnit.objects.filter(pk=pk).first()
        if unit is None:
            raise ApplicationError(
                _("There is no org unit with id %(id)s.") % {"id": pk},
                code="unknown_org_unit",
                extra={"field": "org_unit_id"},
            )
    if unit is None and managed_unit_paths(viewer) is not None:
        raise ApplicationError(
            _("Choose one of your org units for this course."),
            code="org_unit_required",
            extra={"field": "org_unit_id"},
        )
    if not can_manage_unit(viewer, unit):
        raise Forbidden(_("You do not manage that org unit."))
    return unit


def _session_row(pk: int) -> Session | None:
    """A session with what authorising and the write services need (one query)."""
    return Session.objects.select_related("org_unit", "cohort").filter(pk=pk).first()


def _visible_session(viewer: Person, pk: int) -> Session:
    session = _session_row(pk)
    if session is None or not rules.can_view_session(viewer, session):
        raise NotFound(_("No such session."))
    return session


def _managed_session(viewer: Person, pk: int) -> Session:
    session = _visible_session(viewer, pk)
    if not rules.can_manage_session(viewer, session):
        raise Forbidden(_("Only the session's program managers may do this."))
    return session


def _roster_session(viewer: Person, pk: int) -> Session:
    """The roster and attendance: a 404 for everyone but the managers and trainers."""
    session = _session_row(pk)
    if session is None or not rules.can_see_roster(viewer, session):
        raise NotFound(_("No such session."))
    return session


def _session_url(request: HttpRequest, pk: int) -> str:
    return request.build_absolute_uri(reverse("delivery:session", args=[pk]))


def _session_detail(request: HttpRequest, viewer: Person, pk: int) -> Session:
    """The session as ``SessionDetailOut`` shows it to this viewer (a fixed number of queries)."""
    session = selectors.session_detail(pk)
    if session is None or not rules.can_view_session(viewer, session):
        raise NotFound(_("No such session."))
    booking = Booking.objects.filter(session=session, person=viewer).first()
    if booking is not None:
        booking.waitlist_position = enrol_services.waitlist_position(booking)  # type: ignore[attr-defined]
    can_manage = rules.can_manage_session(viewer, session)
    extra = {
        "waitlisted": selectors.waitlist_counts([session.pk]).get(session.pk, 0),
        "url": _session_url(request, session.pk),
        "my_booking": booking,
        "can_manage": can_manage,
        "show_join_url": can_manage
        or rules.is_staff(viewer, session)
        or (booking is not None and booking.status == Booking.Status.ENROLLED),
    }
    for name, value in extra.items():
        setattr(session, name, value)
    return session


def _booking_out(booking: Booking) -> Booking:
    booking.waitlist_position = enrol_services.waitlist_position(booking)  # type: ignore[attr-defined]
    return booking


def _person_to_enrol(viewer: Person, session: Session, person_id: int) -> tuple[Person, bool]:
    """Whom a request with ``person_id`` enrols, and whether as the session's manager (True)
    or as their line manager (False). People outside the caller's reach are not told apart
    from people who do not exist."""
    if rules.can_manage_session(viewer, session):
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise ApplicationError(
                _("There is no person with id %(id)s.") % {"id": person_id},
                code="unknown_person",
                extra={"field": "person_id"},
            )
        return person, True
    report = Person.objects.filter(pk=person_id, manager=viewer).first()
    if report is None or not rules.can_nominate(viewer, report):
        raise Forbidden(
            _("You can enrol only yourself, or nominate the people who report to you."),
            code="not_your_report",
        )
    return report, False


def _roster_entries(bookings: list[Booking], *, waitlist: bool = False) -> list[Booking]:
    for position, booking in enumerate(bookings, start=1):
        booking.waitlist_position = position if waitlist else None  # type: ignore[attr-defined]
    return bookings


def _attendance_out(session: Session, *, changed: int = 0) -> dict[str, Any]:
    return {
        "session_id": session.pk,
        "changed": changed,
        "items": _roster_entries(selectors.session_roster(session).enrolled),
    }


# --- Courses --------------------------------------------------------------------------------


@courses_router.get("", response={200: CoursePage, **ERRORS}, summary="List courses")
def courses_list(request: HttpRequest, filters: Query[CoursesQuery]) -> dict[str, Any]:
    """The catalogue, by title: every current course; archived ones on request, for those who
    manage them."""
    viewer = _viewer(request)
    courses = _courses_visible(viewer, include_archived=filters.include_archived)
    if filters.q:
        courses = courses.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    return paginate(courses.order_by("title", "id"), page=filters.page, page_size=filters.page_size)


@courses_router.get(
    "/{int:course_id}", response={200: CourseOut, **ERRORS}, summary="Read a course"
)
def courses_read(request: HttpRequest, course_id: int) -> Course:
    """With the facilitator guide for the people who plan or teach it."""
    viewer = _viewer(request)
    return _with_guide(viewer, _visible_course(viewer, course_id))


@courses_router.post("", response={201: CourseOut, **ERRORS}, summary="Add a course")
def courses_create(request: HttpRequest, payload: CourseIn) -> Status[Course]:
    """Program managers, filed under one of their org units."""
    viewer = _viewer(request)
    _require_planner(viewer)
    data = payload.model_dump()
    data["org_unit"] = _org_unit_for(viewer, data.pop("org_unit_id"))
    course = course_services.course_create(actor=viewer, **data)
    return Status(201, _with_guide(viewer, course))


@courses_router.patch(
    "/{int:course_id}", response={200: CourseOut, **ERRORS}, summary="Change a course"
)
def courses_update(request: HttpRequest, course_id: int, payload: CourseUpdateIn) -> Course:
    """Only the keys sent change; sessions already planned keep their own settings."""
    viewer = _viewer(request)
    course = _visible_course(viewer, course_id)
    if not rules.can_manage_course(viewer, course):
        raise Forbidden(_("You do not manage this course."))
    data = payload.model_dump(exclude_unset=True)
    if "org_unit_id" in data:
        data["org_unit"] = _org_unit_for(viewer, data.pop("org_unit_id"))
    course = course_services.course_update(course=course, actor=viewer, **data)
    return _with_guide(viewer, course)


# --- Sessions -------------------------------------------------------------------------------


@sessions_router.get("", response={200: SessionPage, **ERRORS}, summary="Find sessions")
def sessions_list(request: HttpRequest, filters: Query[SessionsQuery]) -> dict[str, Any]:
    """Sessions you may see, soonest first; by default those that have not ended (or, with
    ``from``, those starting from that day). ``status=full`` finds open sessions with no place
    left, ``status=open`` those with places. A fixed number of queries whatever the page holds."""
    viewer = _viewer(request)
    found = selectors.sessions_find(
        viewer,
        selectors.SessionFilters(
            q=filters.q,
            course=filters.course,
            modality=filters.modality.value if filters.modality else "",
            region=filters.region,
            language=filters.language,
            status=filters.status.value if filters.status else "",
            starts_from=filters.starts_from,
            starts_until=filters.starts_until,
            include_past=filters.include_past,
        ),
    ).prefetch_related(_SLOTS_IN_ORDER)
    page = paginate(found, page=filters.page, page_size=filters.page_size)
    waiting = selectors.waitlist_counts([s.pk for s in page["items"]])
    for session in page["items"]:
        session.waitlisted = waiting.get(session.pk, 0)
        session.url = _session_url(request, session.pk)
    return page


@sessions_router.get(
    "/{int:session_id}", response={200: SessionDetailOut, **ERRORS}, summary="Read a session"
)
def sessions_read(request: HttpRequest, session_id: int) -> Session:
    """With its staff and your own place; the join link only for the people on it."""
    return _session_detail(request, _viewer(request), session_id)


@sessions_router.post(
    "", response={201: SessionDetailOut, **ERRORS}, summary="Plan a session (as a draft)"
)
def sessions_create(request: HttpRequest, payload: SessionCreateIn) -> Status[Session]:
    """A draft of a course you manage. Venue and trainer clashes, the venue's size and the
    order of the parts are checked (400 with ``venue_clash``, ``over_venue_capacity``,
    ``slot_overlap``, ``naive_time`` ...)."""
    viewer = _viewer(request)
    _require_planner(viewer)
    course = Course.objects.select_related("org_unit").filter(pk=payload.course_id).first()
    if course is None or course.archived_at is not None:
        raise ApplicationError(
            _("There is no current course with id %(id)s.") % {"id": payload.course_id},
            code="unknown_course",
            extra={"field": "course_id"},
        )
    if not rules.can_manage_course(viewer, course):
        raise Forbidden(_("You do not manage this course."))
    venue: Venue | None = None
    if payload.venue_id is not None:
        venue = rules.venues_usable(viewer).filter(pk=payload.venue_id).first()
        if venue is None:
            raise ApplicationError(
                _("There is no venue with id %(id)s that you may use.") % {"id": payload.venue_id},
                code="unknown_venue",
                extra={"field": "venue_id"},
            )
    data = payload.model_dump(exclude={"course_id", "venue_id", "slots"})
    data["title"] = data["title"] or course.title
    for default in ("self_enrol", "needs_approval"):
        if data[default] is None:
            data[default] = getattr(course, default)
    details = SessionDetails(
        venue=venue, slots=[(s.starts_at, s.ends_at) for s in payload.slots], **data
    )
    session = session_services.session_create(details=details, actor=viewer, course=course)
    return Status(201, _session_detail(request, viewer, session.pk))


@sessions_router.post(
    "/{int:session_id}/open",
    response={200: SessionDetailOut, **ERRORS},
    summary="Open a draft for enrolment",
)
def sessions_open(request: HttpRequest, session_id: int) -> Session:
    """Refused with ``not_draft`` unless it is a draft, ``join_url_required`` online without a
    link."""
    viewer = _viewer(request)
    session = _managed_session(viewer, session_id)
    session_services.session_publish(session=session, actor=viewer)
    return _session_detail(request, viewer, session.pk)


@sessions_router.post(
    "/{int:session_id}/cancel",
    response={200: SessionDetailOut, **ERRORS},
    summary="Cancel a session",
)
def sessions_cancel(request: HttpRequest, session_id: int, payload: CancelIn) -> Session:
    """Everyone on it gets the reason and a calendar cancellation; places and slots are kept.
    Cancelling twice changes nothing."""
    viewer = _viewer(request)
    session = _managed_session(viewer, session_id)
    session_services.session_cancel(session=session, actor=viewer, reason=payload.reason)
    return _session_detail(request, viewer, session.pk)


# --- Places ---------------------------------------------------------------------------------


@sessions_router.get(
    "/{int:session_id}/enrolments",
    response={200: RosterOut, **ERRORS},
    summary="Read a session's roster",
)
def sessions_roster(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Enrolled (by name), the waitlist in queue order and nominations waiting for approval;
    for the session's managers and trainers only (404 for everyone else)."""
    session = _roster_session(_viewer(request), session_id)
    roster = selectors.session_roster(session)
    return {
        "session_id": session.pk,
        "capacity": session.capacity,
        "enrolled": _roster_entries(roster.enrolled),
        "waitlist": _roster_entries(roster.waitlist, waitlist=True),
        "pending": _roster_entries(roster.pending),
    }


@sessions_router.post(
    "/{int:session_id}/enrolments",
    response={200: BookingOut, 201: BookingOut, **ERRORS},
    summary="Enrol (yourself, or someone else)",
)
def sessions_enrol(
    request: HttpRequest, session_id: int, payload: Body[SessionEnrolIn | None] = None
) -> Status[Booking]:
    """No body: enrol yourself, a place if one is free, else the waitlist. ``person_id``: a
    program manager of the session enrols that person; a line manager nominates a direct
    report (waiting for approval if the session needs it). 201 for a new place, 200 with the
    place as it stands when the person was already on it (a retried request changes nothing).
    """
    viewer = _viewer(request)
    session = _visible_session(viewer, session_id)
    person_id = payload.person_id if payload is not None else None
    person, as_manager = viewer, True
    if person_id is not None and person_id != viewer.pk:
        person, as_manager = _person_to_enrol(viewer, session, person_id)
    # Only for the status code: the services are idempotent whatever happens in between.
    existed = Booking.objects.filter(
        session=session, person=person, status__in=rules.LIVE_BOOKING
    ).exists()
    if as_manager:
        booking = enrol_services.session_enrol(session=session, person=person, actor=viewer)
    else:
        booking = enrol_services.session_nominate(session=session, person=person, actor=viewer)
    return Status(200 if existed else 201, _booking_out(booking))


@bookings_router.post(
    "/{int:booking_id}/cancel",
    response={200: BookingOut, **ERRORS},
    summary="Cancel a place",
)
def bookings_cancel(request: HttpRequest, booking_id: int) -> Booking:
    """Your own place, or anyone's as a manager of the session. After the cut-off it counts as
    a late cancellation (``late_cancel``); the place goes to the first person waiting.
    Cancelling twice changes nothing."""
    viewer = _viewer(request)
    booking = (
        Booking.objects.select_related("session__org_unit", "session__cohort")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound(_("No such enrolment."))
    session = booking.session
    if booking.person_id != viewer.pk and not rules.can_manage_session(viewer, session):
        if rules.can_see_roster(viewer, session):
            raise Forbidden(_("Only the session's program managers may take someone off it."))
        raise NotFound(_("No such enrolment."))
    return _booking_out(enrol_services.booking_cancel(booking=booking, actor=viewer))


# --- Attendance -----------------------------------------------------------------------------


@sessions_router.get(
    "/{int:session_id}/attendance",
    response={200: AttendanceOut, **ERRORS},
    summary="Read attendance",
)
def sessions_attendance(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Everyone enrolled with their mark and check-in time; for the managers and trainers."""
    return _attendance_out(_roster_session(_viewer(request), session_id))


@sessions_router.put(
    "/{int:session_id}/attendance",
    response={200: AttendanceOut, **ERRORS},
    summary="Mark attendance",
)
def sessions_attendance_mark(
    request: HttpRequest, session_id: int, payload: MarksIn
) -> dict[str, Any]:
    """Set marks by booking id; bookings left out keep theirs. All or nothing: a booking that
    is not an enrolled place on this session refuses the lot (``not_enrolled``)."""
    viewer = _viewer(request)
    session = _roster_session(viewer, session_id)
    if not rules.can_mark_attendance(viewer, session):
        raise Forbidden(_("Only the session's trainers and managers mark attendance."))
    changed = attendance_services.attendance_mark(
        session=session,
        marks={m.booking_id: m.attendance.value for m in payload.marks},
        actor=viewer,
    )
    return _attendance_out(session, changed=len(changed))


@sessions_router.post(
    "/{int:session_id}/check-in",
    response={200: BookingOut, **ERRORS},
    summary="Check yourself in",
)
def sessions_check_in(request: HttpRequest, session_id: int, payload: CheckInIn) -> Booking:
    """With the code shown in the room, while a part is running. Wrong codes are counted (429
    ``too_many_attempts`` after ten); checking in twice changes nothing."""
    viewer = _viewer(request)
    session = _visible_session(viewer, session_id)
    booking = attendance_services.check_in(session=session, person=viewer, code=payload.code)
    return _booking_out(booking)
