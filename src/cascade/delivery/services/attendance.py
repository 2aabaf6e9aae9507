"""Attendance: the trainer's roster marks and learners' self check-in.

Attendance is what completes things: a session of a program's live step completes that step in
the person's path (through the learning area's service), and attending a course session is the
course completion. Self check-in takes the code shown in the room and works only while a part
of the session is running (from a little before it starts until it ends).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.delivery.models import Attendance, Booking, Session, TimeSlot
from cascade.learning.services.progress import live_step_attendance_record
from cascade.people.models import Person

MAX_WRONG_CODES = 10  # per person and session, per 10 minutes: a 6-letter code can't be guessed


def running_slot(session: Session, *, now: datetime | None = None) -> TimeSlot | None:
    """The part open for check-in now, if any."""
    now = now or timezone.now()
    early = timedelta(minutes=settings.CASCADE_CHECK_IN_EARLY_MINUTES)
    for slot in session.slots.filter(cancelled=False):
        if slot.starts_at - early <= now <= slot.ends_at:
            return slot
    return None


def _complete_in_learning(session: Session, booking: Booking, actor: Person | None) -> None:
    if session.step_id is None or session.cohort_id is None:
        return
    if booking.attendance == Attendance.NOT_MARKED:
        return
    live_step_attendance_record(
        cohort_id=session.cohort_id,
        person_id=booking.person_id,
        step_key=session.step.key,  # type: ignore[union-attr]
        attended=booking.attended,
        excused=booking.attendance == Attendance.EXCUSED,
        actor=actor,
    )


@transaction.atomic
def attendance_mark(*, session: Session, marks: dict[int, str], actor: Person) -> list[Booking]:
    """Record present / late / absent / excused for bookings of this session (by booking id).

    Marks for people who are not enrolled on this session are refused as a whole: nothing is
    half-written."""
    valid = set(Attendance.values)
    for value in marks.values():
        if value not in valid:
            raise ApplicationError(_("Unknown attendance mark."), code="invalid_mark")
    if session.status != Session.Status.OPEN:
        raise ApplicationError(_("Attendance is taken only on open sessions."), code="not_open")
    if (
        session.starts_at is not None
        and session.starts_at - timedelta(minutes=settings.CASCADE_CHECK_IN_EARLY_MINUTES)
        > timezone.now()
    ):
        raise ApplicationError(_("Attendance opens when the session starts."), code="not_started")
    bookings = {
        b.pk: b
        for b in Booking.objects.select_for_update()
        .filter(session=session, pk__in=list(marks), status=Booking.Status.ENROLLED)
        .select_related("person")
    }
    if set(marks) - set(bookings):
        raise ApplicationError(
            _("Some of these people are not enrolled on this session."), code="not_enrolled"
        )
    now = timezone.now()
    changed: list[Booking] = []
    for pk, value in marks.items():
        booking = bookings[pk]
        if booking.attendance == value:
            continue
        booking.attendance = value
        booking.attendance_marked_by = actor
        booking.attendance_at = now
        booking.save(update_fields=["attendance", "attendance_marked_by", "attendance_at"])
        _complete_in_learning(session, booking, actor)
        changed.append(booking)
    if changed:
        audit_record(
            actor=actor,
            action="delivery.attendance.marked",
            target=session,
            changes={str(b.pk): b.attendance for b in changed},
        )
    return changed


def _too_many_wrong(session: Session, person: Person) -> bool:
    return cache.get(f"checkin-wrong:{session.pk}:{person.pk}", 0) >= MAX_WRONG_CODES


def _count_wrong(session: Session, person: Person) -> None:
    key = f"checkin-wrong:{session.pk}:{person.pk}"
    cache.add(key, 0, timeout=600)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=600)


@transaction.atomic
def check_in(*, session: Session, person: Person, code: str) -> Booking:
    """A learner checks themselves in with the code shown in the room."""
    if _too_many_wrong(session, person):
        raise ApplicationError(
            _("Too many wrong codes. Ask the trainer to mark you present."),
            code="too_many_attempts",
            status=429,
        )
    given = (code or "").strip().upper().replace(" ", "")
    if not session.check_in_code or not hmac.compare_digest(
        given.encode(), session.check_in_code.encode()
    ):
        _count_wrong(session, person)
        raise ApplicationError(
            _("That code is not right. Check the code shown in the room."),
            code="wrong_code",
            extra={"field": "code"},
        )
    if session.status != Session.Status.OPEN:
        raise ApplicationError(_("This session is not running."), code="not_open")
    now = timezone.now()
    slot = running_slot(session, now=now)
    if slot is None:
        raise ApplicationError(
            _("Check-in is open only while the session runs."), code="check_in_closed"
        )
    booking = (
        Booking.objects.select_for_update()
        .filter(session=session, person=person, status=Booking.Status.ENROLLED)
        .first()
    )
    if booking is None:
        raise ApplicationError(
            _("You are not enrolled on this session."), code="not_enrolled", status=403
        )
    if booking.checked_in_at is not None:
        return booking  # checking in twice changes nothing
    late = now > slot.starts_at + timedelta(minutes=settings.CASCADE_LATE_AFTER_MINUTES)
    booking.checked_in_at = now
    fields = ["checked_in_at"]
    if booking.attendance in (Attendance.NOT_MARKED, Attendance.ABSENT):
        booking.attendance = Attendance.LATE if late else Attendance.PRESENT
        booking.attendance_at = now
        fields += ["attendance", "attendance_at"]
    booking.save(update_fields=fields)
    _complete_in_learning(session, booking, None)
    return booking
