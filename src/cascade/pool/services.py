"""Writes of the pool: a trainer's profile, weekly hours, exceptions and calendar import."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.services import audit_record
from cascade.people.models import Person, Role
from cascade.pool import availability
from cascade.pool.models import AvailabilityException, TrainerProfile, WeeklyHours

MODALITIES = ("in_person", "virtual", "hybrid")
ICS_MAX_BYTES = 1024 * 1024
IMPORT_DAYS = 365


def _may_edit(actor: Person, person: Person) -> None:
    """Trainers keep their own profile; program managers may set anyone's (rates, caps)."""
    if actor.pk != person.pk and not actor.has_role(Role.PROGRAM_MANAGER):
        raise Forbidden(_("You may change only your own availability and profile."))


@transaction.atomic
def profile_save(*, person: Person, actor: Person, **fields: Any) -> TrainerProfile:
    """Save what a trainer states about their work. The rate and the caps are a program
    manager's to set (they are costs and policy); a trainer sets the rest."""
    _may_edit(actor, person)
    allowed = {"home_region", "home_location", "languages", "modalities"}
    if actor.has_role(Role.PROGRAM_MANAGER):
        allowed |= {"rate_cents", "max_hours_per_month", "max_sessions_per_month"}
    refused = set(fields) - allowed
    if refused:
        raise Forbidden(_("You may not set: %(fields)s.") % {"fields": ", ".join(sorted(refused))})
    profile, _created = TrainerProfile.objects.select_for_update().get_or_create(person=person)
    languages = [
        str(code).strip().lower()[:8] for code in fields.get("languages", []) if str(code).strip()
    ]
    modalities = list(fields.get("modalities", profile.modalities))
    if any(m not in MODALITIES for m in modalities):
        raise ApplicationError(
            _("Unknown modality."), code="bad_modality", extra={"field": "modalities"}
        )
    for key, value in fields.items():
        setattr(profile, key, value)
    if "languages" in fields:
        profile.languages = sorted(set(languages))
    profile.modalities = sorted(set(modalities))
    profile.full_clean()
    profile.save()
    audit_record(
        actor=actor,
        action="trainer_profile_saved",
        target=profile,
        changes={k: str(v) for k, v in fields.items()},
    )
    return profile


@transaction.atomic
def weekly_hours_set(
    *, person: Person, actor: Person, hours: list[tuple[int, time, time]]
) -> list[WeeklyHours]:
    """Replace the weekly pattern: (weekday 0-6, from, to) windows, none overlapping."""
    _may_edit(actor, person)
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in hours:
        if not 0 <= weekday <= 6:
            raise ApplicationError(_("Weekdays are Monday to Sunday."), code="bad_weekday")
        if ends <= starts:
            raise ApplicationError(
                _("Each window must end after it starts (%(s)s–%(e)s).") % {"s": starts, "e": ends},
                code="bad_window",
            )
        by_day.setdefault(weekday, []).append((starts, ends))
    for windows in by_day.values():
        windows.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(windows):
            if s2 < e1:
                raise ApplicationError(_("Two windows on the same day overlap."), code="overlap")
    WeeklyHours.objects.filter(person=person).delete()
    return WeeklyHours.objects.bulk_create(
        WeeklyHours(person=person, weekday=d, starts=s, ends=e) for d, s, e in hours
    )


@transaction.atomic
def exception_add(
    *,
    person: Person,
    actor: Person,
    starts_at: datetime,
    ends_at: datetime,
    available: bool = False,
    reason: str = "",
) -> AvailabilityException:
    """Time off (or extra hours) on given dates."""
    _may_edit(actor, person)
    if ends_at <= starts_at:
        raise ApplicationError(_("The end must be after the start."), code="bad_window")
    exception = AvailabilityException(
        person=person,
        kind=AvailabilityException.Kind.AVAILABLE
        if available
        else AvailabilityException.Kind.UNAVAILABLE,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
    )
    exception.full_clean()
    exception.save()
    return exception


@transaction.atomic
def ics_import(*, person: Person, actor: Person, data: bytes, now: datetime | None = None) -> int:
    """Import busy times from an iCalendar file as time off for the next year; a re-import
    replaces what the last one brought (events keep their UID), never the time off entered by
    hand. Returns the number of busy times imported."""
    _may_edit(actor, person)
    if len(data) > ICS_MAX_BYTES:
        raise ApplicationError(_("The calendar file is larger than 1 MB."), code="too_large")
    now = now or timezone.now()
    horizon = now + timedelta(days=IMPORT_DAYS)
    try:
        events = availability.busy_events(data, tz=person.time_zone, start=now, end=horizon)
    except availability.CalendarError as exc:
        raise ApplicationError(str(exc), code="bad_calendar") from exc
    AvailabilityException.objects.filter(person=person, starts_at__gte=now).exclude(
        source_uid=""
    ).delete()
    AvailabilityException.objects.bulk_create(
        [
            AvailabilityException(
                person=person,
                kind=AvailabilityException.Kind.UNAVAILABLE,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                reason=e.summary or _("Busy (imported)"),
                source_uid=e.uid or f"ics-{i}",
            )
            for i, e in enumerate(events)
        ],
        ignore_conflicts=True,
    )
    return len(events)


@transaction.atomic
def exception_remove(*, exception: AvailabilityException, actor: Person) -> None:
    """Remove time off or extra hours (imported ones come back with the next import)."""
    _may_edit(actor, exception.person)
    exception.delete()
