"""Who may see and change what in delivery: courses, venues, sessions, rosters, attendance and
discussions. Views and the API ask these; they never decide access themselves."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from cascade.delivery.models import Booking, Course, Session, SessionStaff, Thread, Venue
from cascade.learning import rules as learning_rules
from cascade.learning.models import Cohort, Enrolment
from cascade.people.models import OrgUnit, Person, Role
from cascade.people.rules import managed_unit_paths

LIVE_BOOKING = (Booking.Status.ENROLLED, Booking.Status.WAITLISTED, Booking.Status.PENDING)
_STAFFING = (SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)


def _pm_covers(viewer: Person, unit: OrgUnit | None) -> bool:
    if not viewer.is_active or not viewer.has_role(Role.PROGRAM_MANAGER):
        return False
    paths = managed_unit_paths(viewer)
    if paths is None:
        return True
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def _pm_scope_q(viewer: Person, field: str = "org_unit") -> Q:
    """Rows whose ``field`` org unit lies in the viewer's program-manager scope."""
    if not viewer.is_active or not viewer.has_role(Role.PROGRAM_MANAGER):
        return Q(pk__in=[])
    paths = managed_unit_paths(viewer)
    if paths is None:
        # Not Q(): an empty Q vanishes when OR-ed with other conditions instead of matching all.
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__path__startswith": p})
    return q


def can_plan(viewer: Person) -> bool:
    """Create courses, venues and sessions: program managers."""
    return viewer.is_active and viewer.has_role(Role.PROGRAM_MANAGER)


def can_manage_course(viewer: Person, course: Course) -> bool:
    return _pm_covers(viewer, course.org_unit)


def can_see_trainer_material(viewer: Person, course: Course) -> bool:
    """The facilitator guide and trainers-only files: the course's planners and the people who
    teach (or are assigned to teach) one of its sessions."""
    return (
        can_manage_course(viewer, course)
        or SessionStaff.objects.filter(
            session__course=course, person=viewer, status__in=_STAFFING
        ).exists()
    )


def courses_manageable(viewer: Person) -> QuerySet[Course]:
    return Course.objects.filter(_pm_scope_q(viewer))


def can_manage_venue(viewer: Person, venue: Venue) -> bool:
    return _pm_covers(viewer, venue.org_unit)


def venues_usable(viewer: Person) -> QuerySet[Venue]:
    return Venue.objects.filter(_pm_scope_q(viewer), archived_at__isnull=True)


def can_manage_session(viewer: Person, session: Session) -> bool:
    """Edit, cancel, staff, enrol in bulk, approve: program managers in scope; for a cohort's
    session also whoever runs the cohort."""
    if _pm_covers(viewer, session.org_unit):
        return True
    if session.cohort_id is not None:
        return learning_rules.can_run_cohort(viewer, session.cohort)  # type: ignore[arg-type]
    return False


def is_staff(viewer: Person, session: Session) -> bool:
    return SessionStaff.objects.filter(
        session=session, person=viewer, status__in=_STAFFING
    ).exists()


def can_see_roster(viewer: Person, session: Session) -> bool:
    """The roster, waitlist and attendance: the session's managers and its trainers."""
    return viewer.is_active and (can_manage_session(viewer, session) or is_staff(viewer, session))


def can_mark_attendance(viewer: Person, session: Session) -> bool:
    return can_see_roster(viewer, session)


def sessions_visible(viewer: Person) -> QuerySet[Session]:
    """Sessions a person may see: open and cancelled ones of courses; a cohort's sessions only
    to its members; drafts only to the people who plan or staff them."""
    if not viewer.is_active:
        return Session.objects.none()
    member_of_cohort = Enrolment.objects.filter(
        cohort_id=OuterRef("cohort_id"), person=viewer
    ).exclude(status=Enrolment.Status.WITHDRAWN)
    staffing = SessionStaff.objects.filter(
        session_id=OuterRef("pk"), person=viewer, status__in=_STAFFING
    )
    booked = Booking.objects.filter(session_id=OuterRef("pk"), person=viewer)
    published = ~Q(status=Session.Status.DRAFT)
    q = (
        (published & Q(cohort__isnull=True))
        | (published & Exists(member_of_cohort))
        | Exists(staffing)
        | Exists(booked)
        | _pm_scope_q(viewer)
    )
    if viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER):
        q |= Q(cohort__in=learning_rules.cohorts_visible(viewer).values("pk"))
    return Session.objects.filter(q)


def can_view_session(viewer: Person, session: Session) -> bool:
    return sessions_visible(viewer).filter(pk=session.pk).exists()


def can_nominate(viewer: Person, person: Person) -> bool:
    """A line manager nominates their direct reports."""
    return viewer.is_active and person.manager_id == viewer.pk and viewer.pk != person.pk


# --- Discussions ----------------------------------------------------------------------------


def can_see_course_discussion(viewer: Person, course: Course) -> bool:
    """People who plan the course, and people who teach or took (or are booked on) one of its
    sessions."""
    if not viewer.is_active:
        return False
    if can_manage_course(viewer, course):
        return True
    return (
        Booking.objects.filter(
            session__course=course,
            person=viewer,
            status__in=(Booking.Status.ENROLLED, Booking.Status.WAITLISTED),
        ).exists()
        or SessionStaff.objects.filter(
            session__course=course, person=viewer, status__in=_STAFFING
        ).exists()
    )


def can_see_cohort_discussion(viewer: Person, cohort: Cohort) -> bool:
    if not viewer.is_active:
        return False
    if learning_rules.can_run_cohort(viewer, cohort):
        return True
    return (
        Enrolment.objects.filter(cohort=cohort, person=viewer)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .exists()
    )


def can_see_session_discussion(viewer: Person, session: Session) -> bool:
    if not viewer.is_active:
        return False
    if can_see_roster(viewer, session):
        return True
    return Booking.objects.filter(
        session=session, person=viewer, status__in=(Booking.Status.ENROLLED,)
    ).exists()


def can_see_thread(viewer: Person, thread: Thread) -> bool:
    if thread.course_id is not None:
        return can_see_course_discussion(viewer, thread.course)  # type: ignore[arg-type]
    if thread.session_id is not None:
        return can_see_session_discussion(viewer, thread.session)  # type: ignore[arg-type]
    return can_see_cohort_discussion(viewer, thread.cohort)  # type: ignore[arg-type]


def can_moderate_thread(viewer: Person, thread: Thread) -> bool:
    """Hide posts, lock threads, mark answers: the place's managers and trainers."""
    if thread.course_id is not None:
        course: Course = thread.course  # type: ignore[assignment]
        return (
            can_manage_course(viewer, course)
            or SessionStaff.objects.filter(
                session__course=course, person=viewer, status__in=_STAFFING
            ).exists()
        )
    if thread.session_id is not None:
        return can_see_roster(viewer, thread.session)  # type: ignore[arg-type]
    return learning_rules.can_run_cohort(viewer, thread.cohort)  # type: ignore[arg-type]
