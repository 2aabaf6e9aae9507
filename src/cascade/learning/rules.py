"""Who may build programs, run cohorts, review work and see progress in the learning area."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cascade.learning.models import Audience, Cohort, Enrolment, Program, StepProgress
from cascade.people.models import Person, Role
from cascade.people.rules import managed_unit_paths


def _in_pm_scope(viewer: Person, unit_path: str | None) -> bool:
    if not viewer.has_role(Role.PROGRAM_MANAGER):
        return False
    paths = managed_unit_paths(viewer)
    if paths is None:
        return True
    return unit_path is not None and any(unit_path.startswith(p) for p in paths)


def can_create_program(viewer: Person) -> bool:
    return viewer.has_role(Role.PROGRAM_MANAGER, Role.TRAINER, Role.MASTER_TRAINER)


def can_manage_program(viewer: Person, program: Program) -> bool:
    """Program managers in scope; trainers may build the learner paths they created."""
    if not viewer.is_active:
        return False
    if _in_pm_scope(viewer, program.org_unit.path if program.org_unit else None):
        return True
    return (
        program.audience == Audience.LEARNERS
        and program.created_by_id == viewer.pk
        and viewer.has_role(Role.TRAINER, Role.MASTER_TRAINER)
    )


def programs_manageable(viewer: Person) -> QuerySet[Program]:
    qs = Program.objects.select_related("org_unit")
    if viewer.is_superuser:
        return qs
    q = (
        Q(audience=Audience.LEARNERS, created_by=viewer)
        if viewer.has_role(Role.TRAINER, Role.MASTER_TRAINER)
        else Q(pk__in=[])
    )
    if viewer.has_role(Role.PROGRAM_MANAGER):
        paths = managed_unit_paths(viewer)
        if paths is None:
            return qs
        for p in paths:
            q |= Q(org_unit__path__startswith=p)
    return qs.filter(q)


def can_run_cohort(viewer: Person, cohort: Cohort) -> bool:
    """Create, enrol, nudge, see the dashboard: program managers in scope and its masters."""
    if not viewer.is_active:
        return False
    if can_manage_program(viewer, cohort.program):
        return True
    return cohort.master_trainers.filter(pk=viewer.pk).exists()


def cohorts_visible(viewer: Person) -> QuerySet[Cohort]:
    managed = programs_manageable(viewer).values("pk")
    return Cohort.objects.filter(Q(program__in=managed) | Q(master_trainers=viewer)).distinct()


def can_review(viewer: Person, progress: StepProgress) -> bool:
    """Sign off tasks, answer reflections, mark teach-backs and attendance: the cohort's master
    trainers, program managers, and the person's mentor or line manager."""
    enrolment: Enrolment = progress.enrolment
    if not viewer.is_active or viewer.pk == enrolment.person_id:
        return False
    if can_run_cohort(viewer, enrolment.cohort):
        return True
    if enrolment.mentor_id == viewer.pk:
        return True
    return getattr(enrolment.person, "manager_id", None) == viewer.pk


def can_view_enrolment(viewer: Person, enrolment: Enrolment) -> bool:
    if not viewer.is_active:
        return False
    if viewer.pk == enrolment.person_id:
        return True
    if enrolment.mentor_id == viewer.pk:
        return True
    if getattr(enrolment.person, "manager_id", None) == viewer.pk:
        return True
    return can_run_cohort(viewer, enrolment.cohort)


def reviewable_q(viewer: Person, prefix: str = "") -> Q:
    """Progress rows ``viewer`` may review, as a filter: ``can_review`` for whole querysets.

    ``prefix`` points from the queried model to the progress row (e.g. "progress__").
    """
    e = f"{prefix}enrolment__"
    return (
        (
            Q(**{f"{e}cohort__in": cohorts_visible(viewer).values("pk")})
            | Q(**{f"{e}mentor": viewer, f"{e}mentor__is_active": True})
            | Q(**{f"{e}person__manager": viewer})
        )
        & ~Q(**{f"{e}person": viewer})
        & ~Q(**{f"{e}status": Enrolment.Status.WITHDRAWN})
    )
