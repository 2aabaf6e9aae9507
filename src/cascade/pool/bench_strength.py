"""Bench strength: for each course and region, how many active trainers could deliver it, how
busy they are, whose certification expires soon, and where a course hangs on one or two people.
Four queries whatever the size of the pool."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Sum
from django.utils import timezone

from cascade.certification.selectors import awards as certification_selectors
from cascade.delivery.models import SessionStaff, TimeSlot
from cascade.pool.models import TrainerProfile

RISK_AT = 2  # a course led by this many people or fewer in a region is at risk
EXPIRY_DAYS = 90
LOAD_DAYS = 90


@dataclass
class Bench:
    course_id: int
    course: str
    region: str
    leads: set[int] = field(default_factory=set)  # certified or master
    candidates: set[int] = field(default_factory=set)  # co-facilitators
    expiring: set[int] = field(default_factory=set)
    load_hours: float = 0.0

    @property
    def at_risk(self) -> bool:
        return len(self.leads) <= RISK_AT

    @property
    def risk_words(self) -> str:
        n = len(self.leads)
        if n == 0:
            return "Nobody can lead it here."
        if n <= RISK_AT:
            return f"Depends on {n} {'person' if n == 1 else 'people'}."
        return ""


def bench_strength(*, now: datetime | None = None) -> list[Bench]:
    now = now or timezone.now()
    holders = certification_selectors.active_holders(now=now)
    people = {person for person, *_rest in holders}
    regions = dict(
        TrainerProfile.objects.filter(person_id__in=people).values_list("person_id", "home_region")
    )
    # Hours each trainer staffs in the coming quarter (any course): their load.
    hours: dict[int, float] = defaultdict(float)
    for person_id, duration in (
        TimeSlot.objects.filter(
            cancelled=False,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=LOAD_DAYS),
            session__staff__person_id__in=people,
            session__staff__status__in=(
                SessionStaff.Status.ASSIGNED,
                SessionStaff.Status.ACCEPTED,
            ),
        )
        .values("session__staff__person_id")
        .annotate(seconds=Sum(F("ends_at") - F("starts_at")))
        .values_list("session__staff__person_id", "seconds")
    ):
        hours[person_id] += duration.total_seconds() / 3600 if duration else 0.0
    soon = now + timedelta(days=EXPIRY_DAYS)
    benches: dict[tuple[int, str], Bench] = {}
    for person, course_id, title, level, expires in holders:
        region = regions.get(person) or "—"
        bench = benches.setdefault((course_id, region), Bench(course_id, title, region))
        (bench.leads if level in ("certified", "master") else bench.candidates).add(person)
        if expires <= soon:
            bench.expiring.add(person)
    for bench in benches.values():
        bench.load_hours = round(sum(hours[p] for p in bench.leads | bench.candidates), 1)
    return sorted(benches.values(), key=lambda b: (b.course, b.region))
