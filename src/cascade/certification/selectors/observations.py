"""Reads of observations: the blind rule, queues for observers and moderators, a candidate's
attempts and their growth per criterion. Each does a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from cascade.certification.models import (
    Criterion,
    Observation,
    ObservationStatus,
    ScoreSheet,
)
from cascade.learning.models import Enrolment, ProgressStatus, Step, StepKind, StepProgress
from cascade.people.models import Person, Role


def observation_detail(pk: int) -> Observation | None:
    return (
        Observation.objects.select_related(
            "candidate", "course", "rubric", "add_on", "session", "decided_by"
        )
        .prefetch_related(
            Prefetch("rubric__criteria", queryset=Criterion.objects.order_by("position", "id")),
            Prefetch("add_on__criteria", queryset=Criterion.objects.order_by("position", "id")),
            Prefetch("sheets", queryset=ScoreSheet.objects.select_related("observer")),
            "moderation_notes__author",
        )
        .filter(pk=pk)
        .first()
    )


def can_view(observation: Observation, viewer: Person) -> bool:
    """The candidate, anyone observing it, master trainers and program managers, and trainers
    while an attempt open to peers is being scored (to join as a peer)."""
    if viewer.pk == observation.candidate_id:
        return True
    if viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER):
        return True
    if (
        observation.allow_peers
        and observation.status == ObservationStatus.SCORING
        and viewer.has_role(Role.TRAINER)
    ):
        return True
    return any(s.observer_id == viewer.pk for s in observation.sheets.all())


def own_sheet(observation: Observation, viewer: Person) -> ScoreSheet | None:
    return next((s for s in observation.sheets.all() if s.observer_id == viewer.pk), None)


def visible_sheets(observation: Observation, viewer: Person) -> list[ScoreSheet]:
    """The blind rule: an observer who has not submitted sees only their own sheet; one who
    has sees every submitted sheet; the candidate sees the sheets once the result is out;
    program managers and masters not observing it see submitted sheets. Drafts of others are
    never shown to anyone."""
    sheets = list(observation.sheets.all())
    submitted = [s for s in sheets if s.submitted_at is not None]
    mine = own_sheet(observation, viewer)
    if mine is not None and mine.submitted_at is None:
        return [mine]
    if viewer.pk == observation.candidate_id:
        return submitted if observation.status == ObservationStatus.DECIDED else []
    if mine is not None or viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER):
        return submitted
    return []


def observations_for(viewer: Person) -> dict[str, QuerySet[Observation]]:
    """The observations page: my attempts, sheets waiting for me, and (for masters and
    managers) attempts that need observers or moderation."""
    base = Observation.objects.select_related("candidate", "course").annotate(
        submitted=Count("sheets", filter=Q(sheets__submitted_at__isnull=False)),
        assigned=Count("sheets"),
    )
    queues: dict[str, QuerySet[Observation]] = {
        "mine": base.filter(candidate=viewer),
        "to_score": base.filter(
            sheets__observer=viewer,
            sheets__submitted_at__isnull=True,
            status=ObservationStatus.SCORING,
        ),
    }
    if viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER):
        queues["open"] = (
            base.filter(status=ObservationStatus.SCORING)
            .exclude(candidate=viewer)
            .exclude(
                pk__in=ScoreSheet.objects.filter(observer=viewer, submitted_at__isnull=True).values(
                    "observation_id"
                )
            )
        )
        queues["moderation"] = base.filter(status=ObservationStatus.MODERATION)
        queues["decided"] = base.filter(status=ObservationStatus.DECIDED)[:20]  # type: ignore[assignment]
    elif viewer.has_role(Role.TRAINER):
        queues["peer"] = (
            base.filter(status=ObservationStatus.SCORING, allow_peers=True)
            .exclude(candidate=viewer)
            .exclude(sheets__observer=viewer)
        )
    return queues


@dataclass(frozen=True)
class Growth:
    """A candidate's final level per criterion across their decided attempts, oldest first."""

    attempts: list[Observation]
    criteria: list[tuple[str, str]]  # (code, name)
    series: dict[str, list[int | None]]  # code -> level per attempt


def growth(person_id: int, *, kind: str | None = None) -> Growth:
    attempts = list(
        Observation.objects.filter(candidate_id=person_id, status=ObservationStatus.DECIDED)
        .filter(**({"kind": kind} if kind else {}))
        .order_by("decided_at", "id")
    )
    rubric_ids = {o.rubric_id for o in attempts} | {o.add_on_id for o in attempts if o.add_on_id}
    names: dict[str, str] = {}
    for code, name in (
        Criterion.objects.filter(rubric_id__in=rubric_ids)
        .order_by("rubric__extends", "position", "id")
        .values_list("code", "name")
    ):
        names.setdefault(code, name)
    series = {code: [o.final_levels.get(code) for o in attempts] for code in names}
    return Growth(attempts, list(names.items()), series)


def teach_back_steps(person: Person) -> list[tuple[Enrolment, Step]]:
    """The teach-back steps of a person's active program enrolments that are not signed off:
    what a teach-back submitted here can count for. Three queries."""
    enrolments = list(
        Enrolment.objects.filter(person=person, status=Enrolment.Status.ACTIVE).select_related(
            "cohort__program"
        )
    )
    steps = Step.objects.filter(
        version_id__in={e.version_id for e in enrolments}, kind=StepKind.TEACH_BACK
    ).order_by("position", "id")
    done = set(
        StepProgress.objects.filter(
            enrolment__in=enrolments, status=ProgressStatus.COMPLETED
        ).values_list("enrolment_id", "step_id")
    )
    return [
        (e, s)
        for e in enrolments
        for s in steps
        if s.version_id == e.version_id and (e.pk, s.pk) not in done
    ]
