"""A trainer's availability: weekly hours in their time zone (across a DST change), time off
and extra hours, calendar import with recurring events, and who may change what."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from cascade.core.errors import ApplicationError, Forbidden
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory
from cascade.pool import availability, selectors, services
from cascade.pool.models import AvailabilityException, TrainerProfile

NINE_TO_FIVE = [(d, time(9), time(17)) for d in range(5)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_hours_stay_on_the_wall_clock_across_daylight_saving():
    weekly = [availability.Weekly(0, time(9), time(17))]  # Mondays
    # London: 23 March 2026 is GMT, 30 March BST (clocks went forward on the 29th).
    found = availability.windows(
        weekly, [], tz="Europe/London", start=utc(2026, 3, 22), end=utc(2026, 4, 1)
    )
    assert found == [
        (utc(2026, 3, 23, 9), utc(2026, 3, 23, 17)),
        (utc(2026, 3, 30, 8), utc(2026, 3, 30, 16)),
    ]


def test_time_off_cuts_windows_and_extra_hours_add_them():
    weekly = [availability.Weekly(d, time(9), time(17)) for d in range(5)]
    exceptions = [
        availability.Exception_(
            False, utc(2026, 6, 1, 12), utc(2026, 6, 2, 12)
        ),  # Mon noon-Tue noon
        availability.Exception_(True, utc(2026, 6, 6, 10), utc(2026, 6, 6, 14)),  # a Saturday
    ]
    found = availability.windows(
        weekly, exceptions, tz="UTC", start=utc(2026, 6, 1), end=utc(2026, 6, 7)
    )
    assert found[:2] == [
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 12)),
        (utc(2026, 6, 2, 12), utc(2026, 6, 2, 17)),
    ]
    assert found[-1] == (utc(2026, 6, 6, 10), utc(2026, 6, 6, 14))
    assert len(found) == 6


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:weekly-standup
DTSTART:20270104T090000Z
DTEND:20270104T100000Z
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Stand-up
END:VEVENT
BEGIN:VEVENT
UID:holiday
DTSTART;VALUE=DATE:20270115
SUMMARY:Holiday
END:VEVENT
BEGIN:VEVENT
UID:free
DTSTART:20270105T090000Z
DTEND:20270105T100000Z
TRANSP:TRANSPARENT
SUMMARY:Optional
END:VEVENT
BEGIN:VEVENT
UID:cancelled
DTSTART:20270106T090000Z
DTEND:20270106T100000Z
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""


def test_busy_events_expand_recurrences_and_skip_free_and_cancelled():
    events = availability.busy_events(ICS, tz="UTC", start=utc(2027, 1, 1), end=utc(2027, 2, 1))
    assert [(e.uid, e.starts_at) for e in events] == [
        ("weekly-standup", utc(2027, 1, 4, 9)),
        ("weekly-standup", utc(2027, 1, 11, 9)),
        ("holiday", utc(2027, 1, 15)),
        ("weekly-standup", utc(2027, 1, 18, 9)),
    ]
    assert events[2].ends_at == utc(2027, 1, 16)


def test_a_broken_calendar_is_refused_in_words():
    with pytest.raises(availability.CalendarError):
        availability.busy_events(b"<html>", tz="UTC", start=utc(2027, 1, 1), end=utc(2027, 2, 1))


@pytest.mark.django_db
def test_import_replaces_the_last_import_but_not_time_off_entered_by_hand():
    trainer = PersonFactory(roles=[Role.TRAINER])
    now = utc(2027, 1, 1)
    services.exception_add(
        person=trainer, actor=trainer, starts_at=utc(2027, 1, 20), ends_at=utc(2027, 1, 21)
    )
    assert services.ics_import(person=trainer, actor=trainer, data=ICS, now=now) == 4
    assert services.ics_import(person=trainer, actor=trainer, data=ICS, now=now) == 4
    assert AvailabilityException.objects.filter(person=trainer).count() == 5
    services.weekly_hours_set(person=trainer, actor=trainer, hours=NINE_TO_FIVE)
    found = selectors.availability_of([trainer], start=utc(2027, 1, 4), end=utc(2027, 1, 5))
    assert found[trainer.pk] == [(utc(2027, 1, 4, 10), utc(2027, 1, 4, 17))]
    with pytest.raises(ApplicationError) as err:
        services.ics_import(person=trainer, actor=trainer, data=b"nope", now=now)
    assert err.value.code == "bad_calendar"
    assert AvailabilityException.objects.filter(person=trainer).count() == 5


@pytest.mark.django_db
def test_weekly_windows_are_checked():
    trainer = PersonFactory(roles=[Role.TRAINER])
    with pytest.raises(ApplicationError) as err:
        services.weekly_hours_set(
            person=trainer, actor=trainer, hours=[(0, time(9), time(12)), (0, time(11), time(13))]
        )
    assert err.value.code == "overlap"
    with pytest.raises(ApplicationError) as err:
        services.weekly_hours_set(person=trainer, actor=trainer, hours=[(7, time(9), time(12))])
    assert err.value.code == "bad_weekday"
    assert not trainer.weekly_hours.exists()


@pytest.mark.django_db
def test_trainers_set_their_own_profile_but_not_their_rate():
    trainer = PersonFactory(roles=[Role.TRAINER])
    other = PersonFactory(roles=[Role.TRAINER])
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    services.profile_save(
        person=trainer, actor=trainer, languages=["EN", "fr", "en"], modalities=["virtual"]
    )
    profile = TrainerProfile.objects.get(person=trainer)
    assert (profile.languages, profile.modalities) == (["en", "fr"], ["virtual"])
    with pytest.raises(Forbidden):
        services.profile_save(person=trainer, actor=trainer, rate_cents=1)
    with pytest.raises(Forbidden):
        services.profile_save(person=other, actor=trainer, home_region="North")
    with pytest.raises(Forbidden):
        services.exception_add(
            person=other, actor=trainer, starts_at=utc(2027, 1, 1), ends_at=utc(2027, 1, 2)
        )
    services.profile_save(person=trainer, actor=pm, rate_cents=5500, max_hours_per_month=40)
    profile.refresh_from_db()
    assert (profile.rate_cents, profile.max_hours_per_month) == (5500, 40)
    with pytest.raises(ApplicationError):
        services.profile_save(person=trainer, actor=trainer, modalities=["telepathy"])
    assert profile.modalities == ["virtual"]
