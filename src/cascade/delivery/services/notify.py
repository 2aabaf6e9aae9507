"""What delivery tells people, in one place: each message says what changed and carries the
calendar invitation (or cancellation) for the parts concerned."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.models import NotificationKind
from cascade.core.services import notification_send
from cascade.delivery.calendar import CalendarEntry, build_calendar, session_url, slot_uid
from cascade.delivery.models import Booking, Session, TimeSlot
from cascade.people.models import Person


def session_location(session: Session) -> str:
    parts = []
    if session.venue_id is not None and session.venue is not None:
        parts.append(session.venue.name)
        if session.room:
            parts.append(session.room)
        if session.venue.address:
            parts.append(session.venue.address.replace("\n", ", "))
    if session.join_url:
        parts.append(session.join_url)
    return " · ".join(parts)


def session_entries(
    session: Session, slots: list[TimeSlot], *, cancelled: bool = False, tentative: bool = False
) -> list[CalendarEntry]:
    """The session's parts as calendar entries (all cancelled when ``cancelled``).

    Cancelling one person's place raises SEQUENCE by one for them, because calendar clients
    (Outlook in particular) ignore a cancellation that is not newer than the invitation.
    """
    url = session_url(session.pk)
    bump = 1 if cancelled and session.status != Session.Status.CANCELLED else 0
    location = session_location(session)
    return [
        CalendarEntry(
            uid=slot_uid(session.key, slot.pk),
            sequence=session.sequence + bump,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            title=session.title,
            description=(session.description or "")[:2000],
            location=location,
            url=url,
            cancelled=cancelled or slot.cancelled or session.status == Session.Status.CANCELLED,
            tentative=tentative,
            stamp=session.updated_at or timezone.now(),
            organizer_email=_organizer_email(),
        )
        for slot in slots
    ]


def _organizer_email() -> str:
    from_email = settings.DEFAULT_FROM_EMAIL
    if "<" in from_email:
        return from_email.split("<", 1)[1].rstrip(">").strip()
    return from_email


def invitation(session: Session, person: Person, *, cancel: bool = False) -> str:
    """An iCalendar invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) for one person."""
    slots = list(session.slots.all())
    entries = session_entries(session, slots, cancelled=cancel)
    return build_calendar(
        entries, method="CANCEL" if cancel else "REQUEST", attendee_email=person.email
    ).decode()


def when_for(person: Person, moment: datetime | None) -> str:
    """A time as the person reads it: in their own time zone, with the zone's name."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(person.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def tell(
    person: Person,
    session: Session,
    title: str,
    body: str = "",
    *,
    dedupe_key: str | None = None,
    calendar: str | None = None,
) -> None:
    notification_send(
        recipient=person,
        kind=NotificationKind.SESSION,
        title=title,
        body=body,
        url=reverse("delivery:session", args=[session.pk]),
        dedupe_key=dedupe_key,
        calendar=calendar or "",
    )


def booking_changed(booking: Booking, *, previous: str) -> None:
    """Tell the person what their place now is (enrolled, waitlisted, promoted, cancelled...)."""
    session = booking.session
    person: Person = booking.person  # type: ignore[assignment]
    status = booking.status
    stamp = f"{booking.pk}:{status}:{int(timezone.now().timestamp() * 1000)}"
    if status == Booking.Status.ENROLLED:
        if previous == Booking.Status.WAITLISTED:
            title = _("A place opened up: you are enrolled in %(s)s") % {"s": session.title}
        else:
            title = _("You are enrolled in %(s)s") % {"s": session.title}
        tell(
            person,
            session,
            title,
            _("Starts %(when)s. The invitation is attached.")
            % {"when": when_for(person, session.starts_at)},
            dedupe_key=f"booking:{stamp}",
            calendar=invitation(session, person),
        )
    elif status == Booking.Status.WAITLISTED:
        tell(
            person,
            session,
            _("You are on the waitlist for %(s)s") % {"s": session.title},
            _("We will enrol you and tell you as soon as a place frees up."),
            dedupe_key=f"booking:{stamp}",
        )
    elif status == Booking.Status.PENDING:
        tell(
            person,
            session,
            _("You were nominated for %(s)s") % {"s": session.title},
            _("Your place waits for approval; we will tell you the decision."),
            dedupe_key=f"booking:{stamp}",
        )
    elif status == Booking.Status.DECLINED:
        tell(
            person,
            session,
            _("Your nomination for %(s)s was not approved") % {"s": session.title},
            dedupe_key=f"booking:{stamp}",
        )
    elif status == Booking.Status.CANCELLED:
        tell(
            person,
            session,
            _("Your place on %(s)s is cancelled") % {"s": session.title},
            dedupe_key=f"booking:{stamp}",
            calendar=invitation(session, person, cancel=True)
            if previous == Booking.Status.ENROLLED
            else None,
        )
