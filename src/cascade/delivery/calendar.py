"""iCalendar (RFC 5545) for sessions: a person's feed and the invitations in emails.

Every part (time slot) of a session is one VEVENT with a UID that never changes, so calendar
clients update the event in place. Times are written in UTC (``...Z``): no VTIMEZONE blocks to
get wrong. ``SEQUENCE`` is the session's change counter; a cancelled session or part, or a
place the person gave up, is sent as ``STATUS:CANCELLED`` rather than disappearing, so clients
remove it instead of keeping a ghost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Cascade//Train the trainer//EN"


@dataclass(frozen=True)
class CalendarEntry:
    """One event to publish: a part of a session as one person sees it."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    title: str
    description: str
    location: str
    url: str
    cancelled: bool
    tentative: bool = False
    stamp: datetime | None = None
    organizer_email: str = ""


def slot_uid(session_key: object, slot_id: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "cascade.local"
    return f"session-{session_key}-{slot_id}@{host}"


def session_url(session_id: int) -> str:
    return settings.SITE_URL + reverse("delivery:session", args=[session_id])


def build_calendar(
    entries: Iterable[CalendarEntry],
    *,
    name: str = "",
    method: str | None = None,
    attendee_email: str = "",
) -> bytes:
    """Serialise entries as one VCALENDAR (CRLF line ends, folded lines)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("sequence", entry.sequence)
        event.add("dtstamp", entry.stamp or entry.starts_at)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", entry.title)
        if entry.description:
            event.add("description", entry.description)
        if entry.location:
            event.add("location", entry.location)
        if entry.url:
            event.add("url", entry.url)
        if entry.cancelled:
            status = "CANCELLED"
        elif entry.tentative:
            status = "TENTATIVE"
        else:
            status = "CONFIRMED"
        event.add("status", status)
        if entry.organizer_email:
            organizer = vCalAddress(f"mailto:{entry.organizer_email}")
            organizer.params["cn"] = vText(settings.CASCADE_ORG_NAME)
            event["organizer"] = organizer
        if attendee_email:
            attendee = vCalAddress(f"mailto:{attendee_email}")
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=False)
        cal.add_component(event)
    return cal.to_ical()
