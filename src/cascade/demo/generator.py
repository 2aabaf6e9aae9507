"""A large synthetic organisation for benchmarks: `python -m cascade generate --scale large`.

Unlike the demo, this bypasses the services on purpose: 50,000 people through ``person_create``
would take many minutes (a password hash, validation queries and an audit row each), and what the
benchmarks need is the *shape* of a big organisation, not its history. So rows are built in
memory and written with ``bulk_create`` level by level (managers before their reports, so every
foreign key points at a saved row), in one transaction: a failed run leaves nothing behind.

The shared password is hashed once and the same hash string given to every row. Emails are
``p000123@<scale>.example``; the root unit's code marks the org as present, so a second run says
so and writes nothing. The organisation's training calendar (courses, venues, a year of
sessions and their bookings) is written in the same transaction by
:mod:`cascade.demo.generator_calendar`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cascade.core.services import audit_record
from cascade.demo.generator_calendar import TIME_ZONES, CalendarSize, generate_calendar
from cascade.demo.names import FIRST_NAMES, LAST_NAMES, SECOND_LANGUAGES
from cascade.demo.organisation import DEMO_PASSWORD
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

BATCH_SIZE = 2_000
STAFF_TITLES: tuple[str, ...] = (
    "Staff Nurse", "Senior Staff Nurse", "Healthcare Assistant", "Physiotherapist",
    "Pharmacist", "Radiographer", "Administrator", "Care Coordinator", "Junior Doctor",
)  # fmt: skip


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Scale:
    """How big an organisation to make; units are regions x sites x departments."""

    name: str
    people: int
    regions: int
    sites_per_region: int
    departments_per_site: int
    team_size: int  # reports per team lead inside a department
    trainers: int
    master_trainers: int
    global_program_managers: int
    scoped_program_managers: int  # scoped to regions first, then to sites
    calendar: CalendarSize  # the training calendar (delivery)

    @property
    def domain(self) -> str:
        return f"{self.name}.example"

    @property
    def root_code(self) -> str:
        return f"{self.name}-org"


SCALES: dict[str, Scale] = {
    "small": Scale("small", 2_000, 3, 3, 3, 12, 80, 4, 1, 2, CalendarSize(8, 12, 200, 4_000)),
    "large": Scale(
        "large", 50_000, 8, 6, 6, 12, 2_000, 100, 10, 40, CalendarSize(40, 200, 5_000, 100_000)
    ),
}


@dataclass
class GenerateResult:
    scale: str
    created: bool
    people: int
    units: int
    seconds: float
    roles: dict[str, int]
    sessions: int = 0
    bookings: int = 0


def org_exists(scale: Scale) -> bool:
    return OrgUnit.objects.filter(code=scale.root_code).exists()


def _create_units(scale: Scale) -> tuple[OrgUnit, list[OrgUnit], list[OrgUnit], list[OrgUnit]]:
    """The tree, one bulk insert per level, then the materialised paths from the new ids."""

    def insert(units: list[OrgUnit]) -> list[OrgUnit]:
        OrgUnit.objects.bulk_create(units, batch_size=BATCH_SIZE)
        for unit in units:
            parent = unit.parent
            unit.path = f"{parent.path}{unit.pk}/" if parent else f"/{unit.pk}/"
            unit.depth = parent.depth + 1 if parent else 0
        OrgUnit.objects.bulk_update(units, ["path", "depth"], batch_size=BATCH_SIZE)
        return units

    title = scale.name.capitalize()
    (root,) = insert([OrgUnit(name=f"{title} Care Group", code=scale.root_code)])
    regions = insert(
        [
            OrgUnit(name=f"{title} region {r + 1}", code=f"{scale.name}-r{r + 1:02}", parent=root)
            for r in range(scale.regions)
        ]
    )
    sites = insert(
        [
            OrgUnit(
                name=f"{region.name}, site {s + 1}",
                code=f"{region.code}-s{s + 1:02}",
                parent=region,
            )
            for region in regions
            for s in range(scale.sites_per_region)
        ]
    )
    departments = insert(
        [
            OrgUnit(
                name=f"{site.name}, department {d + 1}",
                code=f"{site.code}-d{d + 1:02}",
                parent=site,
            )
            for site in sites
            for d in range(scale.departments_per_site)
        ]
    )
    return root, regions, sites, departments


class _PersonMaker:
    """Builds unsaved Person rows with numbered emails and plausible profiles."""

    def __init__(self, scale: Scale, rng: random.Random) -> None:
        self.scale, self.rng = scale, rng
        self.number = 0
        self.password = make_password(DEMO_PASSWORD)  # once: hashing is the slow part
        self.now = timezone.now()

    def make(self, unit: OrgUnit, manager: Person | None, title: str, region: int) -> Person:
        rng = self.rng
        self.number += 1
        seen = rng.random() < 0.6
        return Person(
            email=f"p{self.number:06}@{self.scale.domain}",
            display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            password=self.password,
            time_zone=TIME_ZONES[region % len(TIME_ZONES)],
            language="en",
            languages=["en", rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.15 else ["en"],
            region=f"Region {region + 1}",
            location=unit.name,
            job_title=title,
            manager=manager,
            org_unit=unit,
            last_login=self.now - timedelta(days=rng.randint(0, 90)) if seen else None,
            invited_at=self.now - timedelta(days=rng.randint(1, 10))
            if not seen and rng.random() < 0.1
            else None,
        )


def _insert(people: list[Person]) -> list[Person]:
    Person.objects.bulk_create(people, batch_size=BATCH_SIZE)
    return people


def generate(scale: Scale, *, seed: int = 1, stdout: Writer | None = None) -> GenerateResult:
    """Create the synthetic organisation for ``scale`` unless it already exists."""
    started = time.perf_counter()
    if org_exists(scale):
        return GenerateResult(
            scale=scale.name,
            created=False,
            people=Person.objects.filter(email__endswith=f"@{scale.domain}").count(),
            units=OrgUnit.objects.filter(code__startswith=f"{scale.name}-").count(),
            seconds=time.perf_counter() - started,
            roles={},
        )
    rng = random.Random(seed)
    maker = _PersonMaker(scale, rng)

    def log(message: str) -> None:
        if stdout is not None:
            stdout.write(f"{time.perf_counter() - started:6.1f}s  {message}\n")

    with transaction.atomic():
        root, regions, sites, departments = _create_units(scale)
        units = 1 + len(regions) + len(sites) + len(departments)
        log(f"{units} org units")

        # Heads of each unit, top down: every person but the top one has a manager.
        region_of: dict[int, int] = {u.pk: i for i, u in enumerate(regions)}
        for unit in [*sites, *departments]:  # parents come first in this order
            region_of[unit.pk] = region_of[unit.parent_id or 0]
        (top,) = _insert([maker.make(root, None, "Chief Executive", 0)])
        head: dict[int, Person] = {root.pk: top}
        for level, title in (
            (regions, "Regional Director"),
            (sites, "Site Director"),
            (departments, "Head of Department"),
        ):
            rows = [
                maker.make(unit, head[unit.parent_id or 0], title, region_of[unit.pk])
                for unit in level
            ]
            for unit, person in zip(level, _insert(rows), strict=True):
                head[unit.pk] = person
        leaders = len(head)

        # Departments share the rest; each has team leads with ``team_size`` reports apiece.
        per_dept, extra = divmod(scale.people - leaders, len(departments))
        teams: list[tuple[Person, OrgUnit, int]] = []  # (lead, department, reports)
        for i, dept in enumerate(departments):
            members = per_dept + (1 if i < extra else 0)
            while members > 0:
                size = min(scale.team_size + 1, members)
                lead = maker.make(dept, head[dept.pk], "Team Lead", region_of[dept.pk])
                teams.append((lead, dept, size - 1))
                members -= size
        team_leads = _insert([lead for lead, _, _ in teams])
        log(f"{leaders + len(team_leads)} managers")

        staff: list[Person] = []
        for lead, dept, size in teams:
            staff.extend(
                maker.make(dept, lead, rng.choice(STAFF_TITLES), region_of[dept.pk])
                for _ in range(size)
            )
        roles = _assign_roles(scale, rng, staff, regions, sites)
        _insert(staff)
        log(f"{len(staff)} staff")

        managers = [*head.values(), *team_leads]
        assignments = [RoleAssignment(person=p, role=Role.MANAGER) for p in managers]
        for person, role, scope in roles:
            assignments.append(RoleAssignment(person=person, role=role, org_unit=scope))
        RoleAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
        log(f"{len(assignments)} role assignments")
        counts: dict[str, int] = {}
        for assignment in assignments:
            counts[assignment.role] = counts.get(assignment.role, 0) + 1

        calendar = generate_calendar(
            scale.calendar, rng, prefix=scale.name, sites=sites, roles=roles, log=log
        )
        audit_record(
            actor=None,
            action="demo.organisation.generated",
            target=root,
            changes={
                "scale": scale.name,
                "seed": seed,
                "people": scale.people,
                "roles": counts,
                "sessions": calendar.sessions,
                "bookings": calendar.bookings,
            },
        )
    return GenerateResult(
        scale=scale.name,
        created=True,
        people=leaders + len(team_leads) + len(staff),
        units=units,
        seconds=time.perf_counter() - started,
        roles=counts,
        sessions=calendar.sessions,
        bookings=calendar.bookings,
    )


def _assign_roles(
    scale: Scale,
    rng: random.Random,
    staff: list[Person],
    regions: list[OrgUnit],
    sites: list[OrgUnit],
) -> list[tuple[Person, str, OrgUnit | None]]:
    """Trainers, master trainers and program managers drawn from the staff; the rest learn."""
    special = scale.trainers + scale.master_trainers + scale.global_program_managers
    special += scale.scoped_program_managers
    picked = rng.sample(range(len(staff)), special)
    scopes = [*regions, *sites]
    roles: list[tuple[Person, str, OrgUnit | None]] = []
    taken = set(picked)
    for n, index in enumerate(picked):
        person = staff[index]
        if n < scale.trainers:
            roles.append((person, Role.TRAINER, None))
            person.job_title = "Trainer"
        elif n < scale.trainers + scale.master_trainers:
            roles.append((person, Role.MASTER_TRAINER, None))
            person.job_title = "Master Trainer"
        else:
            k = n - scale.trainers - scale.master_trainers
            scope = (
                None
                if k < scale.global_program_managers
                else scopes[(k - scale.global_program_managers) % len(scopes)]
            )
            roles.append((person, Role.PROGRAM_MANAGER, scope))
            person.job_title = "Program Manager"
    roles.extend((person, Role.LEARNER, None) for i, person in enumerate(staff) if i not in taken)
    return roles
