"""Planning sessions: create and change them (with their time slots), publish, cancel, staff.

Every change that moves a session in time or place bumps its iCalendar ``sequence`` and tells
the people on it; nothing is deleted (a cancelled session or part stays, marked). Clashes of the
venue and of the trainers are checked by time, with the travel buffer, before anything is saved.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError, clean_or_raise
from cascade.core.services import audit_record
from cascade.delivery.clashes import Busy, Clash, find_clashes
from cascade.delivery.models import (
    Booking,
    Course,
    Modality,
    Session,
    SessionStaff,
    StaffRole,
    TimeSlot,
    Venue,
)
from cascade.delivery.services import notify
from cascade.delivery.tasks import reminders_schedule
from cascade.learning.models import Cohort, Step, StepKind
from cascade.people.models import Person

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen


@dataclass
class SessionDetails:
    """What a planner sets on a session (the form and the API both fill this)."""

    title: str
    capacity: int
    slots: list[tuple[datetime, datetime]]
    modality: str = Modality.IN_PERSON
    venue: Venue | None = None
    room: str = ""
    join_url: str = ""
    description: str = ""
    language: str = "en"
    region: str = ""
    leads_needed: int = 1
    co_facilitators_needed: int = 0
    self_enrol: bool = True
    needs_approval: bool = False
    cancel_cutoff_hours: int = 48
    reminder_lead_hours: int = 24
    extra: dict[str, object] = field(default_factory=dict)


def travel_buffer() -> timedelta:
    return timedelta(minutes=settings.CASCADE_TRAVEL_BUFFER_MINUTES)


def check_in_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def _place(session_modality: str, venue_id: int | None) -> int | None:
    return venue_id if session_modality != Modality.VIRTUAL else None


def _busy_of_sessions(slots_q: Q, *, exclude_session: int | None) -> list[Busy]:
    qs = TimeSlot.objects.filter(slots_q, cancelled=False).exclude(
        session__status=Session.Status.CANCELLED
    )
    if exclude_session is not None:
        qs = qs.exclude(session_id=exclude_session)
    return [
        Busy(
            s.starts_at, s.ends_at, _place(s.session.modality, s.session.venue_id), s.session.title
        )
        for s in qs.select_related("session")
    ]


def _window(slots: list[tuple[datetime, datetime]]) -> Q:
    pad = travel_buffer()
    start = min(s for s, _e in slots) - pad
    end = max(e for _s, e in slots) + pad
    return Q(starts_at__lt=end, ends_at__gt=start)


def venue_clashes(
    *, venue: Venue, slots: list[tuple[datetime, datetime]], exclude_session: int | None = None
) -> list[Clash]:
    """Other sessions in the same venue at overlapping times."""
    if not slots:
        return []
    existing = _busy_of_sessions(
        _window(slots) & Q(session__venue=venue) & ~Q(session__modality=Modality.VIRTUAL),
        exclude_session=exclude_session,
    )
    wanted = [Busy(s, e, venue.pk) for s, e in slots]
    return [c for c in find_clashes(wanted, existing, buffer=timedelta(0)) if not c.travel]


def trainer_clashes(
    *,
    person: Person,
    slots: list[tuple[datetime, datetime]],
    place: int | None,
    exclude_session: int | None = None,
) -> list[Clash]:
    """The trainer's other sessions that overlap these times, or leave too little travel time."""
    if not slots:
        return []
    staffed = SessionStaff.objects.filter(
        person=person, status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
    ).values("session_id")
    existing = _busy_of_sessions(
        _window(slots) & Q(session_id__in=staffed), exclude_session=exclude_session
    )
    wanted = [Busy(s, e, place) for s, e in slots]
    return find_clashes(wanted, existing, buffer=travel_buffer())


def clash_message(clashes: list[Clash], who: str) -> str:
    first = clashes[0]
    when = timezone.localtime(first.existing.starts_at).strftime("%Y-%m-%d %H:%M")
    if first.travel:
        return _(
            "%(who)s has “%(other)s” at %(when)s in another place: not enough time to travel "
            "(at least %(minutes)s minutes are needed between places)."
        ) % {
            "who": who,
            "other": first.existing.label,
            "when": when,
            "minutes": settings.CASCADE_TRAVEL_BUFFER_MINUTES,
        }
    return _("%(who)s is already booked for “%(other)s” at %(when)s.") % {
        "who": who,
        "other": first.existing.label,
        "when": when,
    }


def _check_slots(slots: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    if not slots:
        raise ApplicationError(_("Add at least one date and time."), code="no_slots")
    ordered = sorted(slots)
    for start, end in ordered:
        if timezone.is_naive(start) or timezone.is_naive(end):
            raise ApplicationError(_("Times need a time zone."), code="naive_time")
        if end <= start:
            raise ApplicationError(
                _("Each part must end after it starts."),
                code="slot_order",
                extra={"field": "slots"},
            )
    for (_s1, e1), (s2, _e2) in itertools.pairwise(ordered):
        if s2 < e1:
            raise ApplicationError(
                _("Two parts of this session overlap."),
                code="slot_overlap",
                extra={"field": "slots"},
            )
    return ordered


def _check_place(details: SessionDetails, *, exclude_session: int | None) -> None:
    if details.modality in (Modality.IN_PERSON, Modality.HYBRID) and details.venue is None:
        raise ApplicationError(
            _("Choose a venue for a session held in person."),
            code="venue_required",
            extra={"field": "venue"},
        )
    if details.modality == Modality.VIRTUAL:
        details.venue = None
        details.room = ""
    if (
        details.venue is not None
        and details.modality == Modality.IN_PERSON
        and details.capacity > details.venue.capacity
    ):
        raise ApplicationError(
            _("%(venue)s holds %(n)s people; lower the places or choose a larger venue.")
            % {"venue": details.venue.name, "n": details.venue.capacity},
            code="over_venue_capacity",
            extra={"field": "capacity"},
        )
    if details.venue is not None:
        clashes = venue_clashes(
            venue=details.venue, slots=details.slots, exclude_session=exclude_session
        )
        if clashes:
            raise ApplicationError(
                clash_message(clashes, details.venue.name),
                code="venue_clash",
                extra={"field": "venue"},
            )


def _apply(session: Session, details: SessionDetails) -> None:
    for name in (
        "title",
        "capacity",
        "modality",
        "venue",
        "room",
        "join_url",
        "description",
        "language",
        "region",
        "leads_needed",
        "co_facilitators_needed",
        "self_enrol",
        "needs_approval",
        "cancel_cutoff_hours",
        "reminder_lead_hours",
    ):
        setattr(session, name, getattr(details, name))
    if not session.region and details.venue is not None:
        session.region = details.venue.region


def _sync_span(session: Session) -> None:
    live = [s for s in session.slots.all() if not s.cancelled]
    every = live or list(session.slots.all())
    session.starts_at = min(s.starts_at for s in every) if every else None
    session.ends_at = max(s.ends_at for s in every) if every else None


@transaction.atomic
def session_create(
    *,
    details: SessionDetails,
    actor: Person,
    course: Course | None = None,
    cohort: Cohort | None = None,
    step: Step | None = None,
) -> Session:
    """A new draft session of a course, or of a program's live step for one cohort."""
    if (course is None) == (step is None):
        raise ApplicationError(
            _("A session delivers either a course or a program step."), code="course_or_step"
        )
    if step is not None:
        if cohort is None or step.version_id != cohort.version_id:
            raise ApplicationError(
                _("Choose the cohort whose program has this step."), code="step_not_in_cohort"
            )
        if step.kind not in (StepKind.LIVE_SESSION, StepKind.TEACH_BACK):
            raise ApplicationError(
                _("Only live sessions and teach-backs are scheduled."), code="step_not_live"
            )
    details.slots = _check_slots(details.slots)
    _check_place(details, exclude_session=None)
    session = Session(
        course=course,
        cohort=cohort,
        step=step,
        created_by=actor,
        check_in_code=check_in_code_new(),
        org_unit=course.org_unit if course is not None else cohort.program.org_unit,  # type: ignore[union-attr]
    )
    _apply(session, details)
    session.starts_at = details.slots[0][0]
    session.ends_at = details.slots[-1][1]
    clean_or_raise(session)
    session.save()
    TimeSlot.objects.bulk_create(
        [TimeSlot(session=session, starts_at=s, ends_at=e) for s, e in details.slots]
    )
    audit_record(actor=actor, action="delivery.session.created", target=session)
    return session


def _lock(session: Session) -> Session:
    # ``of``: PostgreSQL refuses FOR UPDATE on the nullable side of the venue outer join.
    return (
        Session.objects.select_for_update(of=("self",)).select_related("venue").get(pk=session.pk)
    )


@transaction.atomic
def session_update(*, session: Session, details: SessionDetails, actor: Person) -> Session:
    """Change a session. New times or place: slots are replaced by marking the old ones
    cancelled, the sequence goes up, and everyone on it is told (with a new invitation)."""
    session = _lock(session)
    if session.status == Session.Status.CANCELLED:
        raise ApplicationError(_("This session is cancelled."), code="session_cancelled")
    details.slots = _check_slots(details.slots)
    _check_place(details, exclude_session=session.pk)
    if details.capacity < session.enrolled_count:
        raise ApplicationError(
            _("%(n)s people are already enrolled; the session needs at least that many places.")
            % {"n": session.enrolled_count},
            code="capacity_below_enrolled",
            extra={"field": "capacity"},
        )
    current = [s for s in session.slots.all() if not s.cancelled]
    times_changed = sorted((s.starts_at, s.ends_at) for s in current) != details.slots
    place_changed = (
        session.venue_id != (details.venue.pk if details.venue else None)
        or session.room != details.room
        or session.modality != details.modality
        or session.join_url != details.join_url
    )
    staff_ids = list(
        session.staff.filter(
            status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
        ).values_list("person_id", flat=True)
    )
    if times_changed or place_changed:
        place = _place(details.modality, details.venue.pk if details.venue else None)
        for person in Person.objects.filter(pk__in=staff_ids):
            clashes = trainer_clashes(
                person=person, slots=details.slots, place=place, exclude_session=session.pk
            )
            if clashes:
                raise ApplicationError(
                    clash_message(clashes, person.display_name),
                    code="trainer_clash",
                    extra={"field": "slots"},
                )
    old_capacity, old_title = session.capacity, session.title
    _apply(session, details)
    if times_changed:
        keep = {(s.starts_at, s.ends_at): s for s in current}
        for slot in current:
            if (slot.starts_at, slot.ends_at) not in details.slots:
                slot.cancelled = True
                slot.save(update_fields=["cancelled"])
        TimeSlot.objects.bulk_create(
            [
                TimeSlot(session=session, starts_at=s, ends_at=e)
                for s, e in details.slots
                if (s, e) not in keep
            ]
        )
    if times_changed or place_changed or old_title != session.title:
        session.sequence += 1
    _sync_span(session)
    clean_or_raise(session)
    session.save()
    audit_record(
        actor=actor,
        action="delivery.session.changed",
        target=session,
        changes={
            "times": times_changed,
            "place": place_changed,
            "capacity": old_capacity,
            "title": old_title,
        },
    )
    if session.status == Session.Status.OPEN:
        if times_changed or place_changed:
            _tell_everyone_changed(session)
            reminders_schedule(session)
        if session.capacity > old_capacity:
            from cascade.delivery.services.enrolment import waitlist_promote

            waitlist_promote(session=session)
    return session


def _people_on(session: Session) -> list[Person]:
    booked = Booking.objects.filter(
        session=session,
        status__in=(Booking.Status.ENROLLED, Booking.Status.WAITLISTED, Booking.Status.PENDING),
    ).values("person_id")
    staff = session.staff.filter(
        status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
    ).values("person_id")
    return list(Person.objects.filter(Q(pk__in=booked) | Q(pk__in=staff), is_active=True))


def _tell_everyone_changed(session: Session) -> None:
    enrolled = set(
        session.bookings.filter(status=Booking.Status.ENROLLED).values_list("person_id", flat=True)
    )
    staff = set(session.staff.values_list("person_id", flat=True))
    for person in _people_on(session):
        notify.tell(
            person,
            session,
            _("%(s)s has changed") % {"s": session.title},
            _("New time or place: starts %(when)s. The updated invitation is attached.")
            % {"when": notify.when_for(person, session.starts_at)},
            dedupe_key=f"changed:{session.pk}:{session.sequence}",
            calendar=notify.invitation(session, person)
            if person.pk in enrolled or person.pk in staff
            else None,
        )


@transaction.atomic
def session_publish(*, session: Session, actor: Person) -> Session:
    """Open a draft for enrolment."""
    session = _lock(session)
    if session.status != Session.Status.DRAFT:
        raise ApplicationError(_("Only a draft can be opened."), code="not_draft")
    if session.modality in (Modality.VIRTUAL, Modality.HYBRID) and not session.join_url:
        raise ApplicationError(
            _("Add the join link before opening an online session."),
            code="join_url_required",
            extra={"field": "join_url"},
        )
    session.status = Session.Status.OPEN
    session.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="delivery.session.opened", target=session)
    reminders_schedule(session)
    return session


@transaction.atomic
def session_cancel(*, session: Session, actor: Person, reason: str) -> Session:
    """Cancel: keep every booking and slot, send calendar cancellations to everyone on it."""
    session = _lock(session)
    if session.status == Session.Status.CANCELLED:
        return session
    if not reason.strip():
        raise ApplicationError(
            _("Say why, so the people enrolled know."),
            code="reason_required",
            extra={"field": "reason"},
        )
    was_open = session.status == Session.Status.OPEN
    session.status = Session.Status.CANCELLED
    session.cancelled_at = timezone.now()
    session.cancel_reason = reason.strip()
    session.sequence += 1
    session.save()
    audit_record(
        actor=actor, action="delivery.session.cancelled", target=session, changes={"reason": reason}
    )
    if was_open:
        for person in _people_on(session):
            notify.tell(
                person,
                session,
                _("Cancelled: %(s)s") % {"s": session.title},
                session.cancel_reason,
                dedupe_key=f"cancelled:{session.pk}",
                calendar=notify.invitation(session, person, cancel=True),
            )
    return session


@transaction.atomic
def staff_assign(
    *,
    session: Session,
    person: Person,
    role: str,
    actor: Person,
    status: str = SessionStaff.Status.ACCEPTED,
) -> SessionStaff:
    """Put a trainer on a session, refusing clashes (time, and travel between places)."""
    session = _lock(session)
    if session.status == Session.Status.CANCELLED:
        raise ApplicationError(_("This session is cancelled."), code="session_cancelled")
    if role not in StaffRole.values:
        raise ApplicationError(_("Unknown role."), code="invalid_role", extra={"field": "role"})
    if not person.is_active:
        raise ApplicationError(_("This person's account is not active."), code="inactive")
    if session.bookings.filter(person=person, status=Booking.Status.ENROLLED).exists():
        raise ApplicationError(
            _("%(p)s is enrolled as a learner on this session.") % {"p": person.display_name},
            code="staff_is_learner",
        )
    slots = [(s.starts_at, s.ends_at) for s in session.slots.all() if not s.cancelled]
    clashes = trainer_clashes(
        person=person,
        slots=slots,
        place=_place(session.modality, session.venue_id),
        exclude_session=session.pk,
    )
    if clashes:
        raise ApplicationError(
            clash_message(clashes, person.display_name),
            code="trainer_clash",
            extra={"field": "person"},
        )
    try:
        with transaction.atomic():
            staff, created = SessionStaff.objects.update_or_create(
                session=session, person=person, defaults={"role": role, "status": status}
            )
    except IntegrityError:  # a concurrent identical assignment: that one stands
        staff = SessionStaff.objects.get(session=session, person=person)
        created = False
    audit_record(
        actor=actor,
        action="delivery.staff.assigned",
        target=session,
        changes={"person": person.pk, "role": role},
    )
    if created and session.status == Session.Status.OPEN:
        notify.tell(
            person,
            session,
            _("You are teaching %(s)s") % {"s": session.title},
            _("Role: %(role)s.") % {"role": StaffRole(role).label},
            dedupe_key=f"staff:{session.pk}:{session.sequence}",
            calendar=notify.invitation(session, person),
        )
    return staff


@transaction.atomic
def staff_remove(*, staff: SessionStaff, actor: Person) -> None:
    """Take a trainer off a session (the row goes; the audit log keeps who and when)."""
    session = staff.session
    person: Person = staff.person  # type: ignore[assignment]
    audit_record(
        actor=actor,
        action="delivery.staff.removed",
        target=session,
        changes={"person": person.pk, "role": staff.role},
    )
    staff.delete()
    if session.status == Session.Status.OPEN:
        notify.tell(
            person,
            session,
            _("You are no longer teaching %(s)s") % {"s": session.title},
            dedupe_key=f"unstaffed:{session.pk}:{int(timezone.now().timestamp())}",
            calendar=notify.invitation(session, person, cancel=True),
        )


def check_in_code_reset(*, session: Session, actor: Person) -> str:
    session.check_in_code = check_in_code_new()
    session.save(update_fields=["check_in_code", "updated_at"])
    audit_record(actor=actor, action="delivery.session.check_in_code_reset", target=session)
    return session.check_in_code
