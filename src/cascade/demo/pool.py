"""The demo's trainer pool: every trainer and master trainer works weekdays (some part-time,
some with a day off), states languages, region and modalities, and has a rate and a monthly
limit set by the program manager; a few have time off booked. Idempotent: nothing is written
once anyone has weekly hours."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from cascade.demo.organisation import PM_EMAIL
from cascade.people.models import Person, Role
from cascade.pool import services
from cascade.pool.models import WeeklyHours

REGIONS = ("North", "South", "East", "West")


def load_pool(rng: random.Random) -> int:
    """Returns the number of trainers given availability."""
    if WeeklyHours.objects.exists():
        return 0
    pm = Person.objects.filter(email=PM_EMAIL).first()
    if pm is None:
        return 0
    trainers = list(
        Person.objects.filter(
            role_assignments__role__in=[Role.TRAINER, Role.MASTER_TRAINER], is_active=True
        )
        .distinct()
        .order_by("email")
    )
    today = timezone.localdate()
    for person in trainers:
        day_off = rng.choice((None, None, 4, 2))
        ends = time(17) if rng.random() < 0.8 else time(13)
        hours = [(d, time(8, 30), ends) for d in range(5) if d != day_off]
        services.weekly_hours_set(person=person, actor=person, hours=hours)
        languages = ["en", "fr"] if rng.random() < 0.2 else ["en"]
        modalities = ["in_person", "virtual"] if rng.random() < 0.7 else ["in_person"]
        services.profile_save(
            person=person,
            actor=person,
            home_region=rng.choice(REGIONS),
            languages=languages,
            modalities=modalities,
        )
        services.profile_save(
            person=person,
            actor=pm,
            rate_cents=rng.randrange(3500, 8001, 500),
            max_hours_per_month=rng.choice((24, 32, 40)),
        )
        if rng.random() < 0.25:
            start = today + timedelta(days=rng.randrange(7, 60))
            services.exception_add(
                person=person,
                actor=person,
                starts_at=datetime.combine(start, time(0), tzinfo=timezone.get_current_timezone()),
                ends_at=datetime.combine(
                    start + timedelta(days=rng.randrange(1, 6)),
                    time(0),
                    tzinfo=timezone.get_current_timezone(),
                ),
                reason=rng.choice(("Annual leave", "Conference", "Training")),
            )
    return len(trainers)
