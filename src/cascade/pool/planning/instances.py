"""Seeded, realistic staffing problems for the benchmark and the tests.

A quarter (13 weeks) of sessions across regions and venues, a share of them virtual, some over
two days, a few in French; trainers who live in a region, hold one to three course
certifications at realistic levels (most certified, some candidates, a few masters), work
weekdays with a day off and some time off, cost 30-90 an hour plus travel outside their
region, and may work a capped number of hours a month. Some courses have few certified
trainers on purpose, so that some roles cannot be filled and the reasons show.
"""

from __future__ import annotations

import random

from cascade.pool.planning.types import (
    Problem,
    SessionIn,
    Slot,
    TrainerIn,
    Weights,
)

DAY = 24 * 60
WEEKS = 13
REGIONS = ("North", "South", "East", "West", "Central")
LANGUAGES = ("en", "fr")


def _month(minute: int) -> str:
    # 13 weeks from a Monday: months of four or five weeks, enough for the caps.
    return f"m{min(2, minute // (DAY * 30))}"


def generate(sessions: int, trainers: int, *, seed: int = 1) -> Problem:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    courses = max(6, min(24, sessions // 40))
    rare = set(rng.sample(range(courses), k=max(1, courses // 6)))  # few certified trainers
    venues = {region: [f"{region}-{i}" for i in range(3)] for region in REGIONS}
    people: list[TrainerIn] = []
    for tid in range(1, trainers + 1):
        region = rng.choice(REGIONS)
        held: dict[int, str] = {}
        for course in rng.sample(range(courses), k=rng.randint(1, 3)):
            if course in rare and rng.random() < 0.8:
                continue
            held[course] = rng.choices(
                ("co_facilitator", "certified", "master"), weights=(25, 60, 15)
            )[0]
        day_off = rng.randrange(5)
        windows = []
        off_week = rng.randrange(WEEKS) if rng.random() < 0.5 else -1
        for week in range(WEEKS):
            if week == off_week:
                continue
            for weekday in range(5):
                if weekday == day_off:
                    continue
                day = (week * 7 + weekday) * DAY
                windows.append(Slot(day + 7 * 60, day + 19 * 60))
        people.append(
            TrainerIn(
                id=tid,
                name=f"Trainer {tid}",
                certifications=held,
                available=tuple(windows),
                languages=frozenset({"en", "fr"}) if rng.random() < 0.15 else frozenset({"en"}),
                modalities=frozenset({"in_person", "virtual", "hybrid"})
                if rng.random() < 0.7
                else frozenset({"in_person"}),
                region=region,
                rate_cents=rng.randrange(3000, 9001, 500),
                travel_cents={r: rng.randrange(5000, 20001, 1000) for r in REGIONS if r != region},
                max_minutes=rng.choice((24, 32, 40)) * 60,
                co_deliveries_needed={c: 2 for c, lvl in held.items() if lvl == "co_facilitator"},
            )
        )
    items: list[SessionIn] = []
    for sid in range(1, sessions + 1):
        week, weekday = rng.randrange(WEEKS), rng.randrange(5)
        day = (week * 7 + weekday) * DAY
        shape = rng.random()
        if shape < 0.4:
            slots: tuple[Slot, ...] = (Slot(day + 9 * 60, day + 12 * 60),)
        elif shape < 0.75:
            slots = (Slot(day + 13 * 60, day + 17 * 60),)
        elif shape < 0.9 or weekday == 4:
            slots = (Slot(day + 9 * 60, day + 17 * 60),)
        else:
            slots = (
                Slot(day + 9 * 60, day + 17 * 60),
                Slot(day + DAY + 9 * 60, day + DAY + 17 * 60),
            )
        region = rng.choice(REGIONS)
        virtual = rng.random() < 0.2
        course = rng.randrange(courses)
        items.append(
            SessionIn(
                id=sid,
                course=course,
                slots=slots,
                month=_month(slots[0].start),
                title=f"Session {sid}",
                course_name=f"Course {course}",
                region="" if virtual else region,
                place=None if virtual else rng.choice(venues[region]),
                language="fr" if rng.random() < 0.08 else "en",
                modality="virtual" if virtual else "in_person",
                leads=1,
                co_facilitators=1 if rng.random() < 0.4 else 0,
                lead_level="master" if rng.random() < 0.04 else "certified",
            )
        )
    return Problem(sessions=tuple(items), trainers=tuple(people), weights=Weights())
