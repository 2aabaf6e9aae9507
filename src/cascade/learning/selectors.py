"""Reads of the learning area: paths, cohort grids, a person's enrolments. Each function does a
fixed number of queries whatever the size of the program or the cohort."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from cascade.learning import rules
from cascade.learning.models import (
    Cohort,
    Enrolment,
    Program,
    ProgramVersion,
    Step,
    StepProgress,
)
from cascade.learning.progress import PathState, StepInfo, path_state
from cascade.people.models import Person


def version_steps(version_id: int) -> list[StepInfo]:
    """The steps of a version as plain data, in path order, with prerequisites (2 queries)."""
    steps = list(
        Step.objects.filter(version_id=version_id)
        .order_by("position", "id")
        .values("id", "title", "kind", "required", "due_offset_days", "module_id")
    )
    prereqs: dict[int, list[int]] = defaultdict(list)
    through = Step.prerequisites.through
    for from_id, to_id in through.objects.filter(from_step__version_id=version_id).values_list(
        "from_step_id", "to_step_id"
    ):
        prereqs[from_id].append(to_id)
    return [StepInfo(prerequisite_ids=tuple(prereqs[s["id"]]), **s) for s in steps]


def enrolment_path(enrolment: Enrolment, *, today: date | None = None) -> PathState:
    """Where this person stands on their (frozen) version of the program."""
    steps = version_steps(enrolment.version_id)
    status = dict(StepProgress.objects.filter(enrolment=enrolment).values_list("step_id", "status"))
    return path_state(
        steps, status, start=enrolment.cohort.start_date, today=today or timezone.localdate()
    )


def enrolments_of(person_id: int) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(person_id=person_id)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("cohort__program", "version")
        .order_by("-cohort__start_date")
    )


@dataclass
class GridRow:
    enrolment: Enrolment
    path: PathState


@dataclass
class CohortGrid:
    cohort: Cohort
    steps: list[StepInfo]
    rows: list[GridRow]

    @property
    def behind(self) -> list[GridRow]:
        return [r for r in self.rows if r.path.overdue_count]


def cohort_grid(cohort: Cohort, *, today: date | None = None) -> CohortGrid:
    """People × steps for a cohort's dashboard, in five queries whatever the cohort size.

    Everyone in a cohort works through the cohort's version (it is fixed when the cohort opens),
    so steps are matched by id.
    """
    today = today or timezone.localdate()
    steps = version_steps(cohort.version_id)
    enrolments = list(
        Enrolment.objects.filter(cohort=cohort)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("person", "person__org_unit")
        .order_by("person__display_name", "person_id")
    )
    by_enrolment: dict[int, dict[int, str]] = defaultdict(dict)
    progress = StepProgress.objects.filter(enrolment__cohort=cohort).values_list(
        "enrolment_id", "step_id", "status"
    )
    for enrolment_id, step_id, status in progress:
        by_enrolment[enrolment_id][step_id] = status
    rows = [
        GridRow(
            enrolment=e,
            path=path_state(steps, by_enrolment[e.pk], start=cohort.start_date, today=today),
        )
        for e in enrolments
    ]
    return CohortGrid(cohort=cohort, steps=steps, rows=rows)


def programs_list(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """Programs with their version counts and cohort counts for listing pages."""
    return queryset.annotate(
        cohort_count=Count("cohorts", distinct=True),
        published_count=Count(
            "versions", filter=Q(versions__status=ProgramVersion.Status.PUBLISHED), distinct=True
        ),
    ).order_by("title")


def version_detail(version_id: int) -> ProgramVersion:
    """A version with its modules, steps, prerequisites, questions and resources loaded."""
    return (
        ProgramVersion.objects.select_related("program")
        .prefetch_related(
            "modules",
            Prefetch(
                "steps",
                queryset=Step.objects.order_by("position", "id").prefetch_related(
                    "prerequisites", "step_questions__question", "resources"
                ),
            ),
        )
        .get(pk=version_id)
    )


def enrolment_paths(
    enrolments: list[Enrolment], *, today: date | None = None
) -> list[tuple[Enrolment, PathState]]:
    """Each enrolment's path in a fixed number of queries: steps once per version, all progress
    in one query (``enrolment_path`` does the same for a single enrolment)."""
    today = today or timezone.localdate()
    steps = {v: version_steps(v) for v in {e.version_id for e in enrolments}}
    status: dict[int, dict[int, str]] = defaultdict(dict)
    rows = StepProgress.objects.filter(enrolment__in=[e.pk for e in enrolments]).values_list(
        "enrolment_id", "step_id", "status"
    )
    for enrolment_id, step_id, step_status in rows:
        status[enrolment_id][step_id] = step_status
    return [
        (e, path_state(steps[e.version_id], status[e.pk], start=e.cohort.start_date, today=today))
        for e in enrolments
    ]


DUE_SOON_DAYS = 7


@dataclass
class ProgramRow:
    """One of a person's programs: the enrolment, where they stand, how much is due soon."""

    enrolment: Enrolment
    path: PathState
    due_soon: int


def due_soon_count(path: PathState, today: date) -> int:
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    return sum(
        1
        for s in path.steps
        if s.due is not None
        and not s.overdue
        and today <= s.due <= horizon
        and s.status not in ("completed", "submitted")
    )


def program_rows(person_id: int, *, today: date | None = None) -> list[ProgramRow]:
    """A person's current programs with their paths (fixed query count): home and "learn"."""
    today = today or timezone.localdate()
    enrolments = list(enrolments_of(person_id))
    return [
        ProgramRow(enrolment=e, path=path, due_soon=due_soon_count(path, today))
        for e, path in enrolment_paths(enrolments, today=today)
    ]


def cohorts_coached(person_id: int) -> QuerySet[Cohort]:
    """Open cohorts a master trainer coaches, with how many people are enrolled."""
    return (
        Cohort.objects.filter(master_trainers=person_id)
        .exclude(status=Cohort.Status.CLOSED)
        .select_related("program")
        .annotate(
            enrolled=Count("enrolments", filter=~Q(enrolments__status=Enrolment.Status.WITHDRAWN))
        )
        .order_by("-start_date")
    )


def review_waiting_count(viewer: Person) -> int:
    """Submitted work this person may sign off (as master trainer, mentor, manager or PM)."""
    return (
        StepProgress.objects.filter(rules.reviewable_q(viewer), status="submitted")
        .values("pk")
        .distinct()
        .count()
    )
