"""The staffing problem as plain data: sessions with roles to fill, trainers with what they may
deliver and when, and the program manager's weights. No ORM: the pool's services build these
from the database, the benchmark generates them, and the optimiser, the greedy baseline and the
explanations all read the same shapes.

Times are whole minutes since an arbitrary epoch (the caller's choice, e.g. the planning
period's start); money is whole cents; hours are minutes / 60.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEAD = "lead"
CO_FACILITATOR = "co_facilitator"
ROLES = (LEAD, CO_FACILITATOR)

# Certification levels, lowest first (the certification area's values).
LEVEL_RANK = {"co_facilitator": 1, "certified": 2, "master": 3}


@dataclass(frozen=True)
class Slot:
    """One part of a session, [start, end) in minutes."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class SessionIn:
    """A session to staff. ``place`` is where it happens (a venue or site id; None when
    virtual): trainers need a travel buffer between two sessions in different places.
    ``lead_level`` is the level a lead needs (the course's); a co-facilitator needs at least
    co-facilitator. ``month`` keys load caps (e.g. "2027-03")."""

    id: int
    course: int
    slots: tuple[Slot, ...]
    month: str
    title: str = ""
    course_name: str = ""
    region: str = ""
    place: str | None = None
    language: str = "en"
    modality: str = "in_person"
    leads: int = 1
    co_facilitators: int = 0
    lead_level: str = "certified"
    # A co-facilitator seat for supervised practice: whoever sits in it is coached by the lead.
    supervised: bool = True

    @property
    def minutes(self) -> int:
        return sum(slot.minutes for slot in self.slots)

    @property
    def start(self) -> int:
        return min(slot.start for slot in self.slots)

    def seats(self) -> list[tuple[str, int]]:
        """Every role to fill, as (role, seat number)."""
        return [(LEAD, i) for i in range(self.leads)] + [
            (CO_FACILITATOR, i) for i in range(self.co_facilitators)
        ]


@dataclass(frozen=True)
class TrainerIn:
    """A trainer in the pool. ``certifications`` maps a course to the level held (active,
    not lapsed); ``available`` lists the windows they can work in (empty: never);
    ``rate_cents`` is per hour; ``travel_cents`` maps a region to the cost of getting there
    (missing region: ``default_travel_cents``); ``max_minutes`` caps work per month.
    ``co_deliveries_needed`` maps a course to the co-deliveries their next level still
    needs; ``preferences`` maps a session to +1 (wants it) or -1 (would rather not)."""

    id: int
    name: str
    certifications: dict[int, str]
    available: tuple[Slot, ...]
    languages: frozenset[str] = frozenset({"en"})
    modalities: frozenset[str] = frozenset({"in_person", "virtual", "hybrid"})
    region: str = ""
    rate_cents: int = 5000
    travel_cents: dict[str, int] = field(default_factory=dict)
    default_travel_cents: int = 0
    max_minutes: int | None = None
    co_deliveries_needed: dict[int, int] = field(default_factory=dict)
    preferences: dict[int, int] = field(default_factory=dict)

    def travel_to(self, region: str) -> int:
        if not region or region == self.region:
            return 0
        return self.travel_cents.get(region, self.default_travel_cents)


@dataclass(frozen=True, order=True)
class Assignment:
    session: int
    role: str
    trainer: int


@dataclass(frozen=True)
class Weights:
    """How much each objective counts, in whole currency units (the solver works in whole
    units and hours: coarser steps are what let it prove a plan optimal). Filling roles always
    comes first: an empty role costs more than ten times anything one seat can change.
    Defaults: each unit of cost counts 1; an hour of the busiest trainer's load counts 60 (about
    an hour's pay); an hour above a trainer's fair share of the work counts 20 (the spread);
    a co-delivery a candidate still needs is worth 150; a stated preference 50; keeping a
    previous assignment 100."""

    cost: int = 1  # per currency unit of rate x hours + travel
    max_load: int = 60  # per hour of the busiest trainer's load over the period
    spread: int = 20  # per hour a trainer works above the fair share (total work / trainers)
    development: int = 150  # per co-delivery a candidate needs for their next level
    preference: int = 50  # per preferred assignment; the same against a dispreferred one
    stability: int = 100  # per previous assignment kept


@dataclass(frozen=True)
class Problem:
    sessions: tuple[SessionIn, ...]
    trainers: tuple[TrainerIn, ...]
    travel_buffer: int = 60  # minutes between sessions in different places
    weights: Weights = Weights()
    locks: tuple[Assignment, ...] = ()  # must be kept (a person decided)
    forbidden: tuple[tuple[int, int], ...] = ()  # (session, trainer) never together
    previous: tuple[Assignment, ...] = ()  # the published plan, for stability


@dataclass(frozen=True)
class Unfilled:
    session: int
    role: str
    reason: str


@dataclass
class Plan:
    """A solution with its figures. ``gap`` is the proven optimality gap of the objective
    after filling (0 = proven optimal); ``status`` is the solver's word."""

    assignments: list[Assignment]
    unfilled: list[Unfilled]
    cost_cents: int
    max_load: int  # minutes
    spread: int  # minutes
    seconds: float
    status: str
    gap: float | None = None
    objective: int | None = None
    bound: int | None = None
    warnings: list[str] = field(default_factory=list)
