"""When a trainer can work, as plain functions: weekly hours in their own time zone, plus extra
hours, minus time off, clipped to a period and merged; and the busy times in an iCalendar file
(recurring events expanded by ``recurring-ical-events``). No ORM: the services feed these from
the database, the optimiser reads the windows.

All datetimes returned are aware and in UTC. Weekly hours are wall-clock times, so a window of
9:00–17:00 stays 9:00–17:00 local across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

Window = tuple[datetime, datetime]

MAX_EVENTS = 5000


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    starts: time
    ends: time


@dataclass(frozen=True)
class Exception_:
    available: bool  # True: extra hours; False: time off
    starts_at: datetime
    ends_at: datetime


def merge(windows: Iterable[Window]) -> list[Window]:
    """Sorted, with overlapping or touching windows joined."""
    merged: list[Window] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(windows: list[Window], holes: Iterable[Window]) -> list[Window]:
    """``windows`` with every part covered by ``holes`` removed."""
    result = list(windows)
    for hole_start, hole_end in merge(holes):
        kept: list[Window] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                kept.append((start, end))
                continue
            if start < hole_start:
                kept.append((start, hole_start))
            if hole_end < end:
                kept.append((hole_end, end))
        result = kept
    return result


def windows(
    weekly: Iterable[Weekly],
    exceptions: Iterable[Exception_],
    *,
    tz: str,
    start: datetime,
    end: datetime,
) -> list[Window]:
    """Availability between ``start`` and ``end`` (aware datetimes)."""
    zone = ZoneInfo(tz)
    pattern = list(weekly)
    found: list[Window] = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for w in pattern:
            if w.weekday == day.weekday():
                found.append(_local(day, w.starts, zone, w.ends))
        day += timedelta(days=1)
    extra = [(e.starts_at, e.ends_at) for e in exceptions if e.available]
    off = [(e.starts_at, e.ends_at) for e in exceptions if not e.available]
    result = subtract(merge(found + extra), off)
    clipped = [(max(s, start), min(e, end)) for s, e in result]
    return [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in clipped if e > s]


def _local(day: date, starts: time, zone: ZoneInfo, ends: time) -> Window:
    return (
        datetime.combine(day, starts, tzinfo=zone).astimezone(UTC),
        datetime.combine(day, ends, tzinfo=zone).astimezone(UTC),
    )


@dataclass(frozen=True)
class BusyEvent:
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime


class CalendarError(ValueError):
    """The file is not an iCalendar file Cascade can read, or has too many events."""


def busy_events(data: bytes, *, tz: str, start: datetime, end: datetime) -> list[BusyEvent]:
    """The busy times an iCalendar file holds between ``start`` and ``end``: every event,
    recurring ones expanded, except cancelled ones and those marked free (TRANSP:TRANSPARENT).
    All-day events take the whole day in ``tz``."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarError("This is not an iCalendar (.ics) file.") from exc
    zone = ZoneInfo(tz)
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:
        raise CalendarError(f"The calendar could not be read: {exc}") from exc
    events: list[BusyEvent] = []
    for event in occurrences:
        if event.name != "VEVENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        begins = event["DTSTART"].dt
        finishes = event["DTEND"].dt if "DTEND" in event else None
        begins_at, ends_at = _aware(begins, zone), _aware(finishes or begins, zone)
        if not isinstance(begins, datetime) and finishes is None:
            ends_at = begins_at + timedelta(days=1)
        if ends_at <= begins_at:
            continue
        events.append(
            BusyEvent(
                uid=str(event.get("UID", ""))[:200],
                summary=str(event.get("SUMMARY", ""))[:200],
                starts_at=begins_at,
                ends_at=ends_at,
            )
        )
        if len(events) > MAX_EVENTS:
            raise CalendarError(f"The calendar has more than {MAX_EVENTS} events in the period.")
    return sorted(events, key=lambda e: (e.starts_at, e.uid))


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
    else:
        moment = datetime.combine(value, time(0), tzinfo=zone)
    return moment.astimezone(UTC)
