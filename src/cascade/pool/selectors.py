"""Reads of the pool: a trainer's availability over a period (two queries per call, or two
for many trainers at once)."""

from __future__ import annotations

from datetime import datetime

from cascade.people.models import Person
from cascade.pool import availability
from cascade.pool.models import AvailabilityException, WeeklyHours


def availability_of(
    people: list[Person], *, start: datetime, end: datetime
) -> dict[int, list[availability.Window]]:
    """Each person's availability windows (UTC) between ``start`` and ``end``."""
    ids = [p.pk for p in people]
    weekly: dict[int, list[availability.Weekly]] = {pid: [] for pid in ids}
    for row in WeeklyHours.objects.filter(person_id__in=ids):
        weekly[row.person_id].append(availability.Weekly(row.weekday, row.starts, row.ends))
    exceptions: dict[int, list[availability.Exception_]] = {pid: [] for pid in ids}
    for exc in AvailabilityException.objects.filter(
        person_id__in=ids, starts_at__lt=end, ends_at__gt=start
    ):
        exceptions[exc.person_id].append(
            availability.Exception_(
                exc.kind == AvailabilityException.Kind.AVAILABLE, exc.starts_at, exc.ends_at
            )
        )
    return {
        p.pk: availability.windows(
            weekly[p.pk], exceptions[p.pk], tz=p.time_zone, start=start, end=end
        )
        for p in people
    }
