"""Places on sessions: enrolling, the waitlist, nominations and approval, cancelling.

Capacity under concurrency: every transaction that can change who holds a place starts by
locking the session row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write
transaction is IMMEDIATE, so writers queue anyway). Under that lock the place is claimed with a
conditional ``UPDATE ... SET enrolled_count = enrolled_count + 1 WHERE enrolled_count <
capacity``, and the check constraint ``session_not_overbooked`` backs it up. A person has one
booking row per session for good (unique constraint), so a double click or a retried request
changes nothing twice. The waitlist is first come, first served by ``waitlisted_at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.delivery.models import Booking, Session, SessionStaff
from cascade.delivery.services import notify
from cascade.delivery.tasks import reminders_schedule
from cascade.learning.models import Enrolment
from cascade.people.models import Person

ACTIVE = (Booking.Status.ENROLLED, Booking.Status.WAITLISTED, Booking.Status.PENDING)


def _lock(session_id: int) -> Session:
    return Session.objects.select_for_update().get(pk=session_id)


def _place_claim(session: Session) -> bool:
    """Take one place if one is free; True when taken."""
    taken = Session.objects.filter(
        pk=session.pk, status=Session.Status.OPEN, enrolled_count__lt=F("capacity")
    ).update(enrolled_count=F("enrolled_count") + 1)
    if taken:
        session.enrolled_count += 1
    return bool(taken)


def _place_free(session: Session) -> None:
    Session.objects.filter(pk=session.pk, enrolled_count__gt=0).update(
        enrolled_count=F("enrolled_count") - 1
    )
    session.enrolled_count = max(session.enrolled_count - 1, 0)


def _check_open(session: Session) -> None:
    if session.status == Session.Status.CANCELLED:
        raise ApplicationError(_("This session is cancelled."), code="session_cancelled")
    if session.status != Session.Status.OPEN:
        raise ApplicationError(_("This session is not open for enrolment."), code="not_open")
    if session.starts_at is not None and session.starts_at <= timezone.now():
        raise ApplicationError(_("This session has already started."), code="session_started")


def _check_person(session: Session, person: Person) -> None:
    if not person.is_active:
        raise ApplicationError(_("This person's account is not active."), code="inactive")
    if (
        SessionStaff.objects.filter(session=session, person=person)
        .exclude(status=SessionStaff.Status.DECLINED)
        .exists()
    ):
        raise ApplicationError(
            _("%(p)s is teaching this session.") % {"p": person.display_name},
            code="person_is_staff",
        )
    if session.cohort_id is not None and not (
        Enrolment.objects.filter(cohort_id=session.cohort_id, person=person)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .exists()
    ):
        raise ApplicationError(
            _("This session is for the members of a cohort."), code="not_in_cohort"
        )


def _booking_row(session: Session, person: Person) -> tuple[Booking, bool]:
    """The person's booking row, made if missing; True when it was new or is re-opened."""
    try:
        with transaction.atomic():
            booking, created = Booking.objects.get_or_create(
                session=session,
                person=person,
                defaults={"status": Booking.Status.WAITLISTED},
            )
    except IntegrityError:
        booking, created = Booking.objects.get(session=session, person=person), False
    if created:
        return booking, True
    if booking.status in ACTIVE:
        return booking, False
    # Cancelled or declined before: come back, as a new arrival in the queue.
    reopened = Booking.objects.filter(
        pk=booking.pk, status__in=(Booking.Status.CANCELLED, Booking.Status.DECLINED)
    ).update(status=Booking.Status.WAITLISTED, late_cancel=False, cancelled_at=None)
    booking.refresh_from_db()
    return booking, bool(reopened)


def _seat_or_queue(session: Session, booking: Booking) -> None:
    now = timezone.now()
    if _place_claim(session):
        booking.status = Booking.Status.ENROLLED
        booking.enrolled_at = now
        booking.waitlisted_at = None
    else:
        booking.status = Booking.Status.WAITLISTED
        booking.waitlisted_at = now
    booking.save(update_fields=["status", "enrolled_at", "waitlisted_at"])


@transaction.atomic
def session_enrol(*, session: Session, person: Person, actor: Person) -> Booking:
    """Enrol ``person`` (themselves, or by a program manager): a place if one is free, else the
    waitlist. Idempotent: someone already enrolled, queued or pending stays as they are."""
    session = _lock(session.pk)
    _check_open(session)
    _check_person(session, person)
    if actor.pk == person.pk and not session.self_enrol:
        raise ApplicationError(
            _("Places on this session are given by your manager or the program team."),
            code="self_enrol_closed",
        )
    booking, fresh = _booking_row(session, person)
    if not fresh:
        return booking
    booking.nominated_by = None if actor.pk == person.pk else actor
    booking.save(update_fields=["nominated_by"])
    _seat_or_queue(session, booking)
    _after_booking(session, booking, actor, previous="")
    return booking


@transaction.atomic
def session_nominate(*, session: Session, person: Person, actor: Person) -> Booking:
    """A line manager puts a report forward; with approval on, the place waits for a decision."""
    if person.manager_id != actor.pk:
        raise ApplicationError(
            _("You can nominate only the people who report to you."), code="not_your_report"
        )
    session = _lock(session.pk)
    _check_open(session)
    _check_person(session, person)
    booking, fresh = _booking_row(session, person)
    if not fresh:
        return booking
    booking.nominated_by = actor
    if session.needs_approval:
        booking.status = Booking.Status.PENDING
        booking.save(update_fields=["status", "nominated_by"])
    else:
        booking.save(update_fields=["nominated_by"])
        _seat_or_queue(session, booking)
    _after_booking(session, booking, actor, previous="")
    return booking


@transaction.atomic
def booking_decide(*, booking: Booking, approve: bool, actor: Person) -> Booking:
    """Approve (a place, or the waitlist) or decline a pending nomination."""
    session = _lock(booking.session_id)
    booking = Booking.objects.select_related("person").get(pk=booking.pk)
    booking.session = session
    if booking.status != Booking.Status.PENDING:
        raise ApplicationError(_("This nomination was already decided."), code="already_decided")
    booking.decided_by = actor
    if approve:
        _check_open(session)
        booking.save(update_fields=["decided_by"])
        _seat_or_queue(session, booking)
    else:
        booking.status = Booking.Status.DECLINED
        booking.save(update_fields=["status", "decided_by"])
    _after_booking(session, booking, actor, previous=Booking.Status.PENDING)
    return booking


@dataclass
class BulkResult:
    enrolled: list[Person] = field(default_factory=list)
    waitlisted: list[Person] = field(default_factory=list)
    already: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


def session_enrol_many(*, session: Session, people: Iterable[Person], actor: Person) -> BulkResult:
    """A program manager's bulk enrolment: each person in their own transaction, in the order
    given, so one refusal (a trainer on the session, an inactive account) stops nobody else."""
    result = BulkResult()
    for person in {p.pk: p for p in people}.values():
        try:
            before = Booking.objects.filter(session=session, person=person, status__in=ACTIVE)
            if before.exists():
                result.already.append(person)
                continue
            booking = session_enrol(session=session, person=person, actor=actor)
        except ApplicationError as exc:
            if exc.code in ("session_cancelled", "not_open", "session_started"):
                raise
            result.refused.append((person, exc.message))
            continue
        if booking.status == Booking.Status.ENROLLED:
            result.enrolled.append(person)
        else:
            result.waitlisted.append(person)
    return result


def _after_booking(
    session: Session, booking: Booking, actor: Person | None, *, previous: str
) -> None:
    audit_record(
        actor=actor,
        action="delivery.booking.changed",
        target=booking,
        changes={"from": previous, "to": booking.status},
    )
    booking.session = session
    notify.booking_changed(booking, previous=previous)
    if booking.status == Booking.Status.ENROLLED:
        reminders_schedule(session, only_if_due=True)


def cancel_is_late(session: Session, *, now: datetime | None = None) -> bool:
    """Cancelling now is late when the cut-off before the start has passed."""
    moment = now or timezone.now()
    if session.starts_at is None:
        return False
    return moment >= session.starts_at - timedelta(hours=session.cancel_cutoff_hours)


@transaction.atomic
def booking_cancel(*, booking: Booking, actor: Person) -> Booking:
    """Give up a place (or a place in the queue). After the cut-off it is recorded as late, and
    the place still goes to the first person waiting."""
    session = _lock(booking.session_id)
    booking = Booking.objects.select_related("person").get(pk=booking.pk)
    booking.session = session
    if booking.status not in ACTIVE:
        return booking  # already cancelled or declined: nothing to do twice
    if session.starts_at is not None and session.starts_at <= timezone.now():
        raise ApplicationError(
            _("The session has started; ask the trainer to mark the absence as excused."),
            code="session_started",
        )
    previous = booking.status
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.late_cancel = previous == Booking.Status.ENROLLED and cancel_is_late(session)
    booking.save(update_fields=["status", "cancelled_at", "late_cancel"])
    _after_booking(session, booking, actor, previous=previous)
    if previous == Booking.Status.ENROLLED:
        _place_free(session)
        waitlist_promote(session=session)
    return booking


def waitlist_promote(*, session: Session) -> list[Booking]:
    """Give free places to the people waiting, first come first served. Call it inside the
    transaction that holds the session lock (cancel, capacity raised, approval)."""
    promoted: list[Booking] = []
    if session.status != Session.Status.OPEN:
        return promoted
    if session.starts_at is not None and session.starts_at <= timezone.now():
        return promoted
    queue = Booking.objects.filter(session=session, status=Booking.Status.WAITLISTED).order_by(
        "waitlisted_at", "id"
    )
    for booking in queue.select_related("person")[: max(session.capacity, 1)]:
        if not _place_claim(session):
            break
        moved = Booking.objects.filter(pk=booking.pk, status=Booking.Status.WAITLISTED).update(
            status=Booking.Status.ENROLLED, enrolled_at=timezone.now()
        )
        if not moved:  # they left the queue meanwhile: give the place back, try the next
            _place_free(session)
            continue
        booking.status = Booking.Status.ENROLLED
        booking.session = session
        promoted.append(booking)
        _after_booking(session, booking, None, previous=Booking.Status.WAITLISTED)
    return promoted


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first person waiting."""
    if booking.status != Booking.Status.WAITLISTED or booking.waitlisted_at is None:
        return None
    ahead = (
        Booking.objects.filter(session_id=booking.session_id, status=Booking.Status.WAITLISTED)
        .filter(waitlisted_at__lt=booking.waitlisted_at)
        .count()
    )
    same_time_ahead = Booking.objects.filter(
        session_id=booking.session_id,
        status=Booking.Status.WAITLISTED,
        waitlisted_at=booking.waitlisted_at,
        pk__lt=booking.pk,
    ).count()
    return ahead + same_time_ahead + 1
