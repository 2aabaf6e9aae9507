"""Reads for the ladder and certifications: a person's evidence for a course, where they stand
on the ladder, certification lists. Each does a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
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
from cascade.delivery.selectors import deliveries_by_role
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


def _passed(person_id: int, kind: str, course_id: int, since: datetime | None = None) -> int:
    qs = Observation.objects.filter(
        candidate_id=person_id, kind=kind, status=ObservationStatus.DECIDED, passed=True
    )
    if kind == ObservationKind.TEACH_BACK:
        qs = qs.filter(Q(course_id=course_id) | Q(course__isnull=True))
    else:
        qs = qs.filter(course_id=course_id)
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    return qs.count()


def evidence_for(
    person: Person, course_id: int, *, period_start: datetime | None = None
) -> ladder.Evidence:
    """Everything the ladder reads for one person and course (about ten queries)."""
    held = frozenset(active_certifications(person.pk, course_id).values_list("level", flat=True))
    deliveries = deliveries_by_role(person.pk, course_id=course_id)
    in_period = (
        deliveries_by_role(person.pk, course_id=course_id, since=period_start)
        if period_start
        else {"lead": 0, "co_facilitator": 0}
    )
    re_observed = (
        Observation.objects.filter(
            candidate_id=person.pk,
            course_id=course_id,
            kind__in=(ObservationKind.RE_OBSERVATION, ObservationKind.SOLO_DELIVERY),
            status=ObservationStatus.DECIDED,
            passed=True,
            decided_at__gte=period_start,
        ).exists()
        if period_start
        else False
    )
    hours = (
        DevelopmentActivity.objects.filter(
            person_id=person.pk, done_on__gte=period_start.date()
        ).aggregate(h=Sum("hours"))["h"]
        if period_start
        else None
    ) or Decimal(0)
    return ladder.Evidence(
        held_levels=held,
        programs_completed=Enrolment.objects.filter(
            person_id=person.pk, status=Enrolment.Status.COMPLETED
        ).count(),
        teach_backs_passed=_passed(person.pk, ObservationKind.TEACH_BACK, course_id),
        co_deliveries=deliveries["co_facilitator"],
        lead_deliveries=deliveries["lead"],
        solo_observed=_passed(person.pk, ObservationKind.SOLO_DELIVERY, course_id),
        competencies=competency_levels(person.pk),
        calibrated=is_certifying_observer(person),
        deliveries_in_period=in_period["lead"] + in_period["co_facilitator"],
        re_observed_in_period=re_observed,
        development_hours=float(hours),
    )


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
    held = list(active_certifications(person.pk, course_id))
    rules = ladder_rules(course_id)
    level = ladder.next_level(frozenset(c.level for c in held))
    verdict = None
    if level is not None:
        verdict = ladder.evaluate(
            rules[level].requirements, evidence_for(person, course_id), names=competency_names()
        )
    return LadderState(course_id, held, level, verdict, rules)


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
