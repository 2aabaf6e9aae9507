"""Fetch-and-authorise helpers shared by the learning views and API: each returns the object
or raises Http404 (never confirming that something exists to someone who may not see it)."""

from __future__ import annotations

from django.http import Http404

from cascade.learning import rules
from cascade.learning.models import Cohort, Enrolment, Program, QuizAttempt, Step, StepProgress
from cascade.people.models import Person


def program_to_manage(viewer: Person, pk: int) -> Program:
    program = Program.objects.select_related("org_unit").filter(pk=pk).first()
    if program is None or not rules.can_manage_program(viewer, program):
        raise Http404
    return program


def cohort_to_run(viewer: Person, pk: int) -> Cohort:
    cohort = Cohort.objects.select_related("program__org_unit", "version").filter(pk=pk).first()
    if cohort is None or not rules.can_run_cohort(viewer, cohort):
        raise Http404
    return cohort


def own_enrolment(viewer: Person, cohort_pk: int) -> Enrolment:
    """The viewer's own enrolment in a cohort."""
    enrolment = (
        Enrolment.objects.select_related("cohort__program", "version", "person")
        .filter(cohort_id=cohort_pk, person=viewer)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment


def step_of(enrolment: Enrolment, step_pk: int) -> Step:
    step = Step.objects.filter(pk=step_pk, version_id=enrolment.version_id).first()
    if step is None:
        raise Http404
    return step


def own_attempt(viewer: Person, pk: int) -> QuizAttempt:
    attempt = (
        QuizAttempt.objects.select_related("step", "enrolment__cohort")
        .filter(pk=pk, enrolment__person=viewer)
        .first()
    )
    if attempt is None:
        raise Http404
    return attempt


def progress_to_review(viewer: Person, pk: int) -> StepProgress:
    progress = (
        StepProgress.objects.select_related(
            "step", "enrolment__person", "enrolment__cohort__program__org_unit", "enrolment__mentor"
        )
        .filter(pk=pk)
        .first()
    )
    if progress is None or not rules.can_review(viewer, progress):
        raise Http404
    return progress


def progress_visible(viewer: Person, pk: int) -> StepProgress:
    """A progress row its owner or a reviewer may see (evidence downloads, reflections)."""
    progress = (
        StepProgress.objects.select_related(
            "step", "enrolment__person", "enrolment__cohort__program__org_unit", "enrolment__mentor"
        )
        .filter(pk=pk)
        .first()
    )
    if progress is None or not rules.can_view_enrolment(viewer, progress.enrolment):
        raise Http404
    return progress
