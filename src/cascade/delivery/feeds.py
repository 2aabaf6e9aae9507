"""Reads behind the private calendar feeds: whose feed a token opens, and what that feed shows.

A subscribed calendar is replaced wholesale on every poll, so the feed has to say everything the
person's calendar should show: each part of every session they teach or hold a place on (a place
in the queue shows as tentative), and the parts and places that were taken away as
``STATUS:CANCELLED`` so clients remove them instead of keeping a ghost. The entries come from
:func:`cascade.delivery.services.notify.session_entries`, the same code as the emailed
invitations, so a feed and an invitation never disagree about an event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.delivery.calendar import CalendarEntry, build_calendar
from cascade.delivery.models import Booking, CalendarFeed, Session, SessionStaff
from cascade.delivery.services.notify import session_entries
from cascade.people.models import Person

# Past sessions stay this long, so last month's training is still in the calendar.
HISTORY = timedelta(days=60)
TOKEN_MAX_LENGTH = 64

TEACHING = (SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)


def feed_by_token(token: str) -> CalendarFeed | None:
    """The feed this secret address opens, with its person; none for an unknown token or a
    deactivated account (leaving the organisation ends the feed too)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        CalendarFeed.objects.select_related("person")
        .filter(token=token, person__is_active=True)
        .first()
    )


def feed_entries(person: Person, *, now: datetime | None = None) -> list[CalendarEntry]:
    """Every event of the person's feed, in time order (2 queries, however many sessions)."""
    since = (now or timezone.now()) - HISTORY
    bookings = Booking.objects.filter(person=person)
    shown = bookings.filter(
        Q(status__in=(Booking.Status.ENROLLED, Booking.Status.WAITLISTED))
        # A place given up after it was held: the event was in the calendar, so cancel it.
        | Q(status=Booking.Status.CANCELLED, enrolled_at__isnull=False)
    )
    teaching = SessionStaff.objects.filter(person=person, status__in=TEACHING)
    sessions = (
        Session.objects.filter(
            Q(pk__in=shown.values("session_id")) | Q(pk__in=teaching.values("session_id")),
            ends_at__gte=since,
        )
        .exclude(status=Session.Status.DRAFT)
        .annotate(
            feed_booking=Subquery(bookings.filter(session=OuterRef("pk")).values("status")[:1]),
            feed_teaches=Exists(teaching.filter(session=OuterRef("pk"))),
        )
        .select_related("venue")
        .prefetch_related("slots")
        .order_by("starts_at", "id")
    )
    entries: list[CalendarEntry] = []
    for session in sessions:
        booking_status = getattr(session, "feed_booking", None)
        teaches = bool(getattr(session, "feed_teaches", False))
        entries.extend(
            session_entries(
                session,
                list(session.slots.all()),
                cancelled=not teaches and booking_status == Booking.Status.CANCELLED,
                tentative=not teaches and booking_status == Booking.Status.WAITLISTED,
            )
        )
    entries.sort(key=lambda e: (e.starts_at, e.uid))
    return entries


def person_calendar(person: Person, *, now: datetime | None = None) -> bytes:
    """The person's feed as an iCalendar document (times in UTC)."""
    name = _("%(org)s training sessions") % {"org": settings.CASCADE_ORG_NAME}
    return build_calendar(feed_entries(person, now=now), name=name)
