"""Reads for the ladder and certifications: a person's evidence for a course, where they stand
on the ladder, certification lists. Each does a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from cascade.certification import ladder
from cascade.certification.models import (
    Certification,
    CertificationStatus,
    Competency,
    CompetencyRating,
    Criterion,
    DevelopmentActivity,
    LadderRule,
    Observation,
    ObservationKind,
    ObservationStatus,
    VersionStatus,
)
from cascade.certification.selectors.calibration import is_certifying_observer
from cascade.delivery.models import Course
from cascade.delivery.selectors import (
    deliveries_by_course,
    deliveries_by_role,
    staffed_course_ids,
)
from cascade.learning.models import Enrolment
from cascade.people.models import Person


@dataclass(frozen=True)
class Rule:
    level: str
    requirements: dict[str, Any]
    valid_months: int
    renewal: dict[str, Any]


def ladder_rules(course_id: int | None) -> dict[str, Rule]:
    """The rule per level for a course: its own rows, else the default rows, else the shipped
    defaults (so a fresh install has a working ladder)."""
    rows = {
        (r.course_id, r.level): r
        for r in LadderRule.objects.filter(Q(course_id=course_id) | Q(course__isnull=True))
    }
    rules: dict[str, Rule] = {}
    for level, default in ladder.DEFAULT_RULES.items():
        row = rows.get((course_id, level)) or rows.get((None, level))
        if row is not None:
            rules[level] = Rule(level, row.requirements, row.valid_months, row.renewal)
        else:
            rules[level] = Rule(
                level, default["requirements"], default["valid_months"], default["renewal"]
            )
    return rules


def competency_levels(person_id: int) -> dict[str, int]:
    """A person's level per competency code, built from evidence: for each competency, the
    lowest final level among the criteria mapped to it in their latest decided observation
    that scored any of them; a master's direct rating replaces it when it is more recent.
    Why the lowest: a competency shown well on one criterion and weakly on another is not yet
    shown at the higher level."""
    observations = list(
        Observation.objects.filter(
            candidate_id=person_id, status=ObservationStatus.DECIDED
        ).order_by("decided_at", "id")
    )
    rubric_ids = {o.rubric_id for o in observations} | {
        o.add_on_id for o in observations if o.add_on_id
    }
    mapping: dict[tuple[int, str], list[str]] = {}
    for rubric_id, code, competency in Criterion.objects.filter(
        rubric_id__in=rubric_ids, competencies__isnull=False
    ).values_list("rubric_id", "code", "competencies__code"):
        mapping.setdefault((rubric_id, code), []).append(competency)
    levels: dict[str, tuple[datetime, int]] = {}
    for obs in observations:
        per: dict[str, list[int]] = {}
        for code, level in obs.final_levels.items():
            for source in (obs.rubric_id, obs.add_on_id):
                for comp in mapping.get((source or 0, code), []):
                    per.setdefault(comp, []).append(level)
        assert obs.decided_at is not None
        for comp, values in per.items():
            levels[comp] = (obs.decided_at, min(values))
    for rating in (
        CompetencyRating.objects.filter(person_id=person_id)
        .select_related("competency")
        .order_by("rated_at", "id")
    ):
        seen = levels.get(rating.competency.code)
        if seen is None or rating.rated_at >= seen[0]:
            levels[rating.competency.code] = (rating.rated_at, rating.level)
    return {code: level for code, (_, level) in sorted(levels.items())}


def active_certifications(person_id: int, course_id: int | None = None) -> QuerySet[Certification]:
    qs = Certification.objects.filter(person_id=person_id, status=CertificationStatus.ACTIVE)
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    return qs.select_related("course")


@dataclass(frozen=True)
class _PersonFacts:
    """What the ladder reads about a person across courses, gathered once per page."""

    programs_completed: int
    competencies: dict[str, int]
    calibrated: bool
    held: dict[int, frozenset[str]]  # course id -> active levels
    deliveries: dict[int, dict[str, int]]  # course id -> role -> count
    passed: dict[tuple[str, int | None], int]  # (kind, course id or None) -> count

    def evidence(self, course_id: int, **period: Any) -> ladder.Evidence:
        by_role = self.deliveries.get(course_id, {"lead": 0, "co_facilitator": 0})
        return ladder.Evidence(
            held_levels=self.held.get(course_id, frozenset()),
            programs_completed=self.programs_completed,
            # A teach-back with no course (a generic ToT one) counts for every course.
            teach_backs_passed=self.passed.get((ObservationKind.TEACH_BACK, course_id), 0)
            + self.passed.get((ObservationKind.TEACH_BACK, None), 0),
            co_deliveries=by_role["co_facilitator"],
            lead_deliveries=by_role["lead"],
            solo_observed=self.passed.get((ObservationKind.SOLO_DELIVERY, course_id), 0),
            competencies=self.competencies,
            calibrated=self.calibrated,
            **period,
        )


def _person_facts(person: Person, course_ids: list[int]) -> _PersonFacts:
    """Six queries, whatever the number of courses."""
    held: dict[int, set[str]] = {}
    for course_id, level in Certification.objects.filter(
        person_id=person.pk, status=CertificationStatus.ACTIVE, course_id__in=course_ids
    ).values_list("course_id", "level"):
        held.setdefault(course_id, set()).add(level)
    passed: dict[tuple[str, int | None], int] = {
        (kind, course): n
        for kind, course, n in Observation.objects.filter(
            candidate_id=person.pk, status=ObservationStatus.DECIDED, passed=True
        )
        .values("kind", "course_id")
        .annotate(n=Count("id"))
        .values_list("kind", "course_id", "n")
    }
    return _PersonFacts(
        programs_completed=Enrolment.objects.filter(
            person_id=person.pk, status=Enrolment.Status.COMPLETED
        ).count(),
        competencies=competency_levels(person.pk),
        calibrated=is_certifying_observer(person),
        held={course: frozenset(levels) for course, levels in held.items()},
        deliveries=deliveries_by_course(person.pk),
        passed=passed,
    )


def evidence_for(
    person: Person, course_id: int, *, period_start: datetime | None = None
) -> ladder.Evidence:
    """Everything the ladder reads for one person and course; with ``period_start``, also
    what renewal reads (deliveries, a passed re-observation, development hours since then)."""
    period: dict[str, Any] = {}
    if period_start is not None:
        in_period = deliveries_by_role(person.pk, course_id=course_id, since=period_start)
        hours = DevelopmentActivity.objects.filter(
            person_id=person.pk, done_on__gte=period_start.date()
        ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
        period = {
            "deliveries_in_period": in_period["lead"] + in_period["co_facilitator"],
            "re_observed_in_period": Observation.objects.filter(
                candidate_id=person.pk,
                course_id=course_id,
                kind__in=(ObservationKind.RE_OBSERVATION, ObservationKind.SOLO_DELIVERY),
                status=ObservationStatus.DECIDED,
                passed=True,
                decided_at__gte=period_start,
            ).exists(),
            "development_hours": float(hours),
        }
    return _person_facts(person, [course_id]).evidence(course_id, **period)


@dataclass(frozen=True)
class LadderState:
    """Where a person stands for one course: what they hold and the next rung's checklist."""

    course_id: int
    held: list[Certification]
    next_level: str | None
    verdict: ladder.Verdict | None
    rules: dict[str, Rule]

    @property
    def next_level_name(self) -> str:
        return ladder.LEVEL_NAMES.get(self.next_level or "", "")


def competency_names() -> dict[str, str]:
    """Code -> name of the competencies in the published framework(s)."""
    return dict(
        Competency.objects.filter(framework__status=VersionStatus.PUBLISHED).values_list(
            "code", "name"
        )
    )


def ladder_state(person: Person, course_id: int) -> LadderState:
    return ladder_states(person, [course_id])[course_id]


def ladder_states(person: Person, course_ids: list[int]) -> dict[int, LadderState]:
    """Where a person stands on several courses' ladders, from one gathering of evidence: a
    fixed number of queries plus one per course for its rules (the path page)."""
    facts = _person_facts(person, course_ids)
    names = competency_names()
    held_all = list(
        Certification.objects.filter(
            person_id=person.pk, status=CertificationStatus.ACTIVE, course_id__in=course_ids
        ).select_related("course")
    )
    states: dict[int, LadderState] = {}
    for course_id in course_ids:
        held = [c for c in held_all if c.course_id == course_id]
        rules = ladder_rules(course_id)
        level = ladder.next_level(frozenset(c.level for c in held))
        verdict = None
        if level is not None:
            verdict = ladder.evaluate(
                rules[level].requirements, facts.evidence(course_id), names=names
            )
        states[course_id] = LadderState(course_id, held, level, verdict, rules)
    return states


def certifications_visible(viewer: Person) -> QuerySet[Certification]:
    """Program managers and master trainers see every certification (the pool is theirs to
    staff from); everyone else sees their own."""
    qs = Certification.objects.select_related("person", "course", "awarded_by")
    if viewer.has_role("program_manager", "master_trainer"):
        return qs
    return qs.filter(person=viewer)


def certification_history(certification: Certification) -> list[Any]:
    return list(certification.events.select_related("actor"))


def expiring(*, within_days: int, now: datetime | None = None) -> QuerySet[Certification]:
    now = now or timezone.now()
    return Certification.objects.filter(
        status=CertificationStatus.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=within_days),
    ).select_related("person", "course")


def active_levels(course_ids: set[int], *, valid_until: datetime) -> dict[int, dict[int, str]]:
    """{person: {course: highest active level}} for certifications still valid at
    ``valid_until``: who the pool may staff (suspended, revoked and lapsed are out). One query."""
    rank = {"co_facilitator": 1, "certified": 2, "master": 3}
    held: dict[int, dict[int, str]] = {}
    for person_id, course_id, level in Certification.objects.filter(
        status=CertificationStatus.ACTIVE, course_id__in=course_ids, expires_at__gt=valid_until
    ).values_list("person_id", "course_id", "level"):
        mine = held.setdefault(person_id, {})
        if course_id not in mine or rank[level] > rank[mine[course_id]]:
            mine[course_id] = level
    return held


def active_holders(*, now: datetime | None = None) -> list[tuple[int, int, str, str, datetime]]:
    """Every active certification as (person id, course id, course title, level, expires at),
    for the pool's bench strength. One query."""
    now = now or timezone.now()
    return list(
        Certification.objects.filter(status=CertificationStatus.ACTIVE, expires_at__gt=now)
        .order_by("course__title", "person_id")
        .values_list("person_id", "course_id", "course__title", "level", "expires_at")
    )


def path_courses(person: Person) -> list[Course]:
    """Courses a person is on the ladder for: certified in, observed for, or staffed. Four
    queries."""
    ids = set(Certification.objects.filter(person=person).values_list("course_id", flat=True))
    ids |= set(
        Observation.objects.filter(candidate=person, course__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    ids |= staffed_course_ids(person.pk)
    return list(Course.objects.filter(pk__in=ids - {None}).order_by("title"))
