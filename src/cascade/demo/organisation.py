"""The demo organisation, "Northbridge Health": a hospital group to explore Cascade with.

`python -m cascade demo` (and `make run`) loads it. It is deterministic (a seeded
``random.Random`` over the fixed lists in ``demo.names``; no Faker) so every machine shows the same
people, and idempotent: org units are keyed on their code and people on their email, so a second
run finds everything in a handful of reads and writes nothing. Writes go through the people and
core services, so the demo exercises the same rules (and fills the audit log) as real use.

Later issues extend the demo: add a ``load_<thing>()`` step to ``load_demo`` and keep it
idempotent the same way (look up by a natural key first, create only what is missing).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from cascade.core.models import Notification, NotificationKind
from cascade.core.services import notification_mark_read, notification_send
from cascade.demo.names import (
    FIRST_NAMES,
    LAST_NAMES,
    REGIONS,
    SECOND_LANGUAGES,
    SITES,
    STAFF_TITLES,
    TITLES_BY_DEPARTMENT,
    TRAINER_TITLES,
)
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment
from cascade.people.services import (
    org_unit_create,
    person_create,
    person_deactivate,
    person_invite,
    person_roles_set,
)

DEMO_PASSWORD = "cascade-demo"  # noqa: S105 - the documented demo password
DEMO_SEED = 20_240_601
ORG_NAME = "Northbridge Health"
EMAIL_DOMAIN = "northbridge.example"
TIME_ZONE = "Europe/London"
PEOPLE_TOTAL = 150

PM_EMAIL = "manager@demo.example"
MASTER_EMAIL = "master@demo.example"
TRAINER_EMAIL = "trainer@demo.example"
CANDIDATE_EMAIL = "candidate@demo.example"
LEARNER_EMAIL = "learner@demo.example"


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class DemoLogin:
    """One sign-in printed by the command; ``key`` names it in benchmarks and tests."""

    key: str
    label: str
    email: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("program_manager", "Program manager", PM_EMAIL),
    DemoLogin("master_trainer", "Master trainer", MASTER_EMAIL),
    DemoLogin("trainer", "Trainer", TRAINER_EMAIL),
    DemoLogin("candidate", "Trainer candidate", CANDIDATE_EMAIL),
    DemoLogin("learner", "Learner", LEARNER_EMAIL),
)


# --- The org unit tree ----------------------------------------------------------------------

ROOT_CODE = "nbh"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    parent: str | None
    region: str
    location: str


def plan_org_units() -> list[UnitSpec]:
    """Every demo unit, parents before children (the order they must be created in)."""
    units = [UnitSpec(ROOT_CODE, ORG_NAME, None, "", "Northbridge House")]
    for region_code, region in REGIONS:
        rcode = f"{ROOT_CODE}-{region_code}"
        units.append(UnitSpec(rcode, f"{region} region", ROOT_CODE, region, f"{region} office"))
        for site_code, site, departments in SITES[region_code]:
            scode = f"{rcode}-{site_code}"
            units.append(UnitSpec(scode, site, rcode, region, site))
            units.extend(
                UnitSpec(f"{scode}-{dcode}", f"{dept}, {site}", scode, region, site)
                for dcode, dept in departments
            )
    return units


# --- The people -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    """One demo person as planned; ``kind`` says what the story needs them for."""

    email: str
    display_name: str
    unit: str
    manager: str | None
    roles: tuple[str, ...]
    job_title: str
    kind: str
    languages: tuple[str, ...] = ("en",)
    scope: str | None = None  # a unit code: program manager of that subtree only
    login: bool = False
    invite: bool = False
    leaver: bool = False
    last_seen_days_ago: int | None = None


def _languages(rng: random.Random) -> tuple[str, ...]:
    return ("en", rng.choice(SECOND_LANGUAGES)) if rng.random() < 0.2 else ("en",)


class _Names:
    """Unique display names and emails drawn from the fixed lists."""

    def __init__(self, rng: random.Random, taken: Iterable[str]) -> None:
        self.rng = rng
        self.used = set(taken)

    def next(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            name = f"{first} {last}"
            if name not in self.used:
                self.used.add(name)
                local = f"{first}.{last}".lower().replace("'", "")
                return name, f"{local}@{EMAIL_DOMAIN}"


def plan_people(rng: random.Random) -> list[PersonSpec]:
    """Every demo person, managers before their reports; pure, so the same seed gives the same org.

    Shape: a chief nurse at the top; the program manager (Head of Clinical Education) with the
    master trainers and a North-region program manager under her; a director per region, a head
    of nursing per site and a manager per department; ward staff (learners) with trainers and
    trainer candidates among them.
    """
    units = plan_org_units()
    fixed = ["Helen Marsh", "Priya Raman", "Owen Gallagher", "Grace Okafor", "Tomasz Nowak"]
    names = _Names(rng, [*fixed, "Aisha Khan"])
    chief = f"helen.marsh@{EMAIL_DOMAIN}"
    specs = [
        PersonSpec(
            email=chief,
            display_name="Helen Marsh",
            unit=ROOT_CODE,
            manager=None,
            roles=(Role.MANAGER,),
            job_title="Chief Nursing Officer",
            kind="executive",
            last_seen_days_ago=2,
        ),
        PersonSpec(
            email=PM_EMAIL,
            display_name="Priya Raman",
            unit=ROOT_CODE,
            manager=chief,
            roles=(Role.PROGRAM_MANAGER, Role.MANAGER),
            job_title="Head of Clinical Education",
            kind="program_manager",
            languages=("en", "ta"),
            login=True,
        ),
        PersonSpec(
            email=MASTER_EMAIL,
            display_name="Owen Gallagher",
            unit=ROOT_CODE,
            manager=PM_EMAIL,
            roles=(Role.MASTER_TRAINER,),
            job_title="Lead Clinical Educator",
            kind="master_trainer",
            languages=("en", "ga"),
            login=True,
        ),
    ]
    for region_code, region in REGIONS:
        name, email = names.next()
        specs.append(
            PersonSpec(
                email=email,
                display_name=name,
                unit=f"{ROOT_CODE}-{region_code}",
                manager=PM_EMAIL,
                roles=(Role.MASTER_TRAINER,),
                job_title=f"Senior Practice Educator, {region}",
                kind="master_trainer",
                languages=_languages(rng),
                last_seen_days_ago=rng.randint(0, 6),
            )
        )
    name, email = names.next()
    specs.append(
        PersonSpec(
            email=email,
            display_name=name,
            unit=f"{ROOT_CODE}-north",
            manager=PM_EMAIL,
            roles=(),
            job_title="Education Lead, North",
            kind="program_manager",
            scope=f"{ROOT_CODE}-north",
            last_seen_days_ago=rng.randint(0, 3),
        )
    )

    head_of: dict[str, str] = {}  # unit code -> email of the person who runs it
    departments: list[UnitSpec] = []
    for unit in units[1:]:
        depth = unit.code.count("-")
        name, email = names.next()
        title = {
            1: f"Director of Nursing, {unit.region}",
            2: f"Head of Nursing, {unit.location}",
        }.get(depth, "Ward Manager" if "Ward" in unit.name else "Department Manager")
        specs.append(
            PersonSpec(
                email=email,
                display_name=name,
                unit=unit.code,
                manager=head_of.get(unit.parent or "", chief),
                roles=(Role.MANAGER,),
                job_title=title,
                kind="manager",
                languages=_languages(rng),
                last_seen_days_ago=rng.randint(0, 20),
            )
        )
        head_of[unit.code] = email
        if depth == 3:
            departments.append(unit)

    # Ward staff fill the rest, spread evenly over the departments. The three staff logins
    # work at Northbridge General; the learner's manager runs the Acute Medical Unit.
    logins = [
        PersonSpec(
            email=TRAINER_EMAIL,
            display_name="Grace Okafor",
            unit="nbh-central-ngh-ed",
            manager=None,
            roles=(Role.TRAINER,),
            job_title="Practice Educator",
            kind="trainer",
            languages=("en", "yo"),
            login=True,
        ),
        PersonSpec(
            email=CANDIDATE_EMAIL,
            display_name="Tomasz Nowak",
            unit="nbh-central-ngh-amu",
            manager=None,
            roles=(Role.TRAINER,),
            job_title="Senior Staff Nurse",
            kind="candidate",
            languages=("en", "pl"),
            login=True,
        ),
        PersonSpec(
            email=LEARNER_EMAIL,
            display_name="Aisha Khan",
            unit="nbh-central-ngh-amu",
            manager=None,
            roles=(Role.LEARNER,),
            job_title="Staff Nurse",
            kind="learner",
            languages=("en", "ur"),
            login=True,
        ),
    ]
    slots = range(PEOPLE_TOTAL - len(specs) - len(logins))
    chosen = rng.sample(slots, 14 + 6 + 5 + 2)
    trainers, candidates = set(chosen[:14]), set(chosen[14:20])
    invited, leavers = set(chosen[20:25]), set(chosen[25:])
    for i in slots:
        unit = departments[i % len(departments)]
        name, email = names.next()
        titles = TITLES_BY_DEPARTMENT.get(unit.code.rsplit("-", 1)[1], STAFF_TITLES)
        roles: tuple[str, ...] = (Role.LEARNER,)
        kind, title = "learner", rng.choice(titles)
        if i in trainers:
            roles, kind, title = (Role.TRAINER,), "trainer", rng.choice(TRAINER_TITLES)
        elif i in candidates:
            roles, kind = (Role.TRAINER,), "candidate"
        quiet = i in invited or rng.random() < 0.3  # about a third have never signed in
        specs.append(
            PersonSpec(
                email=email,
                display_name=name,
                unit=unit.code,
                manager=head_of[unit.code],
                roles=roles,
                job_title=title,
                kind=kind,
                languages=_languages(rng),
                invite=i in invited,
                leaver=i in leavers,
                last_seen_days_ago=None if quiet else rng.randint(0, 45),
            )
        )
    specs.extend(replace(spec, manager=head_of[spec.unit]) for spec in logins)
    return specs


# --- Loading --------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """What a run found and what it added; ``changed`` is False on a second run."""

    units: int = 0
    people: int = 0
    units_created: int = 0
    people_created: int = 0
    roles_scoped: int = 0
    notifications_created: int = 0
    programs_created: int = 0  # the learning area (demo.learning)
    cohorts_created: int = 0
    enrolments_created: int = 0
    logins: tuple[DemoLogin, ...] = DEMO_LOGINS
    url: str = field(default_factory=lambda: f"{settings.SITE_URL}/")

    @property
    def changed(self) -> bool:
        return bool(
            self.units_created
            or self.people_created
            or self.roles_scoped
            or self.notifications_created
            or self.programs_created
            or self.cohorts_created
        )


def load_org_units(summary: DemoSummary) -> dict[str, OrgUnit]:
    """Create the missing units of the tree; existing codes are left as they are."""
    specs = plan_org_units()
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[s.code for s in specs])}
    for spec in specs:
        if spec.code not in units:
            parent = units[spec.parent] if spec.parent else None
            units[spec.code] = org_unit_create(name=spec.name, code=spec.code, parent=parent)
            summary.units_created += 1
    summary.units = len(units)
    return units


def load_people(
    specs: list[PersonSpec], units: dict[str, OrgUnit], summary: DemoSummary
) -> tuple[dict[str, Person], list[tuple[PersonSpec, Person]]]:
    """Create the missing people (keyed on email) through ``person_create``.

    The program manager is the actor for everyone after her, so the audit log reads like the
    day she brought her organisation in. Returns every demo person and the ones created now.
    """
    locations = {u.code: (u.region, u.location) for u in plan_org_units()}
    people = {p.email: p for p in Person.objects.filter(email__in=[s.email for s in specs])}
    created: list[tuple[PersonSpec, Person]] = []
    for spec in specs:
        if spec.email in people:
            continue
        region, location = locations[spec.unit]
        person = person_create(
            email=spec.email,
            display_name=spec.display_name,
            actor=people.get(PM_EMAIL),
            org_unit=units[spec.unit],
            manager=people.get(spec.manager) if spec.manager else None,
            roles=spec.roles,
            password=DEMO_PASSWORD if spec.login else None,
            job_title=spec.job_title,
            time_zone=TIME_ZONE,
            language="en",
            languages=list(spec.languages),
            region=region,
            location=location,
        )
        people[spec.email] = person
        created.append((spec, person))
    summary.people = len(people)
    summary.people_created = len(created)
    return people, created


def load_scoped_roles(
    specs: list[PersonSpec],
    people: dict[str, Person],
    units: dict[str, OrgUnit],
    summary: DemoSummary,
) -> None:
    """Give region-scoped program managers their scope (audited, and they are told)."""
    actor = people[PM_EMAIL]
    for spec in specs:
        if spec.scope is None:
            continue
        person, unit = people[spec.email], units[spec.scope]
        if RoleAssignment.objects.filter(
            person=person, role=Role.PROGRAM_MANAGER, org_unit=unit
        ).exists():
            continue
        person_roles_set(
            person=person, roles={*spec.roles, Role.PROGRAM_MANAGER}, actor=actor, scope=unit
        )
        summary.roles_scoped += 1


def load_activity(people: dict[str, Person], created: list[tuple[PersonSpec, Person]]) -> None:
    """Sign-ins, pending invitations and leavers, for people created in this run only.

    Running the demo again must not touch people someone has since used, so only the rows this
    run created get history. Sign-ins have no service (they happen at login), hence the update.
    """
    actor = people[PM_EMAIL]
    now = timezone.now()
    seen: list[Person] = []
    for spec, person in created:
        if spec.last_seen_days_ago is not None:
            person.last_login = now - timedelta(days=spec.last_seen_days_ago, hours=3)
            seen.append(person)
    Person.objects.bulk_update(seen, ["last_login"])
    for spec, person in created:
        if spec.invite:
            person_invite(person=person, actor=actor)
        if spec.leaver:
            person_deactivate(person=person, actor=actor)


DEMO_NOTIFICATIONS: tuple[tuple[str, str, str, str, bool], ...] = (
    # (dedupe key, title, body, url, read already)
    (
        "demo:welcome",
        "Welcome to Cascade, Priya",
        "Northbridge Health is set up: 3 regions, 7 sites and 150 people. Start with the "
        "people directory, or bring more people in from a spreadsheet.",
        "/people/",
        True,
    ),
    (
        "demo:invitations",
        "5 invitations are waiting to be accepted",
        "People you invited have not chosen a password yet. Their invitation links last three "
        "days; you can send a new one from their profile.",
        "/people/",
        False,
    ),
    (
        "demo:north-lead",
        "The North region has its own program manager",
        "The North region's education lead can now manage people and org units in the North.",
        "/audit/",
        False,
    ),
)


def load_notifications(people: dict[str, Person], summary: DemoSummary) -> None:
    """A few notifications for the program manager so her home page has something new."""
    pm = people[PM_EMAIL]
    have = set(
        Notification.objects.filter(
            recipient=pm, dedupe_key__in=[n[0] for n in DEMO_NOTIFICATIONS]
        ).values_list("dedupe_key", flat=True)
    )
    for key, title, body, url, read in DEMO_NOTIFICATIONS:
        if key in have:
            continue
        note = notification_send(
            recipient=pm,
            kind=NotificationKind.GENERAL,
            title=title,
            body=body,
            url=url,
            dedupe_key=key,
        )
        summary.notifications_created += 1
        if read:
            notification_mark_read(recipient=pm, notification_id=note.pk)


def format_summary(summary: DemoSummary) -> str:
    """What the command prints: what happened, then one login per role as a small table."""
    if summary.changed:
        head = (
            f"{ORG_NAME} is loaded: {summary.units} org units and {summary.people} people "
            f"({summary.units_created} units and {summary.people_created} people added now)."
        )
        if summary.cohorts_created:
            head += (
                f"\nTrainer development: {summary.cohorts_created} cohorts with "
                f"{summary.enrolments_created} people enrolled and "
                f"{summary.programs_created} programs added now."
            )
    else:
        head = f"{ORG_NAME} is already loaded ({summary.people} people); nothing changed."
    rows = [("role", "email", "password")] + [
        (login.label, login.email, DEMO_PASSWORD) for login in summary.logins
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [head, f"Sign in at {summary.url} as:", ""]
    for n, row in enumerate(rows):
        cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines).rstrip() + "\n"
