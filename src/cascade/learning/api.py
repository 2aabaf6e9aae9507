"""The learning area's API: programs and their versions, cohorts and enrolment, a person's
progress, and quiz attempts.

Handlers parse (``schemas``), authorise (``rules``, ``access``), call one service or selector,
and return. ``request.auth`` is the calling ``Person`` (``cascade.api.auth``); errors become
problem documents in ``cascade.api.errors``. Something the caller may not see answers 404, the
same as a missing id; something they may see but not do answers 403.

Quiz answers never leave the server before an attempt is submitted: attempts are shown through
``quiz.public`` and a schema that only knows the public fields; results (with feedback,
explanations and the right answers) exist only once the attempt is graded.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from cascade.core.api import ERRORS, PageQuery, paginate
from cascade.core.errors import ApplicationError, Forbidden, NotFound
from cascade.learning import access, rules, selectors
from cascade.learning.models import (
    Audience,
    Cohort,
    Enrolment,
    Program,
    ProgramVersion,
    QuizAttempt,
    Step,
    StepKind,
    StepProgress,
)
from cascade.learning.quiz import correct_answer_text, public
from cascade.learning.schemas import (
    AttemptOut,
    CohortMemberPage,
    CohortOut,
    CohortPage,
    EnrolIn,
    EnrolmentPage,
    EnrolOut,
    ProgramOut,
    ProgramPage,
    ProgressOut,
    QuestionPage,
    QuestionsQuery,
    ResponsesIn,
    VersionOut,
)
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import quizzes
from cascade.learning.step_config import ConfigError, clean_config
from cascade.people.models import Person, Role

programs_router = Router(tags=["programs"])
cohorts_router = Router(tags=["cohorts"])
enrolments_router = Router(tags=["enrolments"])
attempts_router = Router(tags=["quiz attempts"])

_PUBLISHED = ProgramVersion.Status.PUBLISHED
_DRAFT = ProgramVersion.Status.DRAFT
_RUNNING = (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)


# --- Helpers: who is asking, and the objects they name --------------------------------------


def _viewer(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person


def _programs_visible(viewer: Person, manageable: QuerySet[Program]) -> QuerySet[Program]:
    """Programs the caller manages, takes part in (enrolled, or a master trainer of one of its
    cohorts) and, for trainers and master trainers, the published programs for trainers."""
    q = (
        Q(pk__in=manageable.values("pk"))
        | Q(
            pk__in=Enrolment.objects.filter(person=viewer, status__in=_RUNNING).values(
                "cohort__program_id"
            )
        )
        | Q(pk__in=Cohort.objects.filter(master_trainers=viewer).values("program_id"))
    )
    if viewer.has_role(Role.TRAINER, Role.MASTER_TRAINER):
        q |= Q(
            audience=Audience.TRAINERS,
            archived_at__isnull=True,
            pk__in=ProgramVersion.objects.filter(status=_PUBLISHED).values("program_id"),
        )
    return Program.objects.filter(q)


def _program_rows(viewer: Person) -> QuerySet[Program]:
    """Visible programs with their version numbers and whether the caller manages each (one
    query for a whole page)."""
    manageable = rules.programs_manageable(viewer)
    return (
        _programs_visible(viewer, manageable)
        .annotate(
            published_number=Max("versions__number", filter=Q(versions__status=_PUBLISHED)),
            draft_number=Max("versions__number", filter=Q(versions__status=_DRAFT)),
            manageable=Exists(manageable.filter(pk=OuterRef("pk"))),
        )
        .order_by("title", "id")
    )


def _visible_program(viewer: Person, pk: int) -> Program:
    program = _program_rows(viewer).filter(pk=pk).first()
    if program is None:
        raise NotFound(_("No such program."))
    return program


def _step_settings(step: Step) -> dict[str, Any]:
    """The step's complete settings (defaults filled in); a stored config that no longer
    validates is shown as stored rather than failing the whole version."""
    try:
        return clean_config(step.kind, step.config)
    except ConfigError:
        return dict(step.config or {})


def _version_out(version: ProgramVersion) -> dict[str, Any]:
    steps = [
        {
            "id": step.pk,
            "key": step.key,
            "module_id": step.module_id,
            "position": step.position,
            "kind": step.kind,
            "title": step.title,
            "body": step.body,
            "required": step.required,
            "due_offset_days": step.due_offset_days,
            "prerequisites": sorted(p.pk for p in step.prerequisites.all()),
            "config": _step_settings(step),
            # Only how many: the questions (and their answers) are served per attempt.
            "question_count": (
                len(step.step_questions.all()) if step.kind == StepKind.QUIZ else None
            ),
        }
        for step in version.steps.all()
    ]
    return {
        "id": version.pk,
        "program_id": version.program_id,
        "number": version.number,
        "status": version.status,
        "notes": version.notes,
        "published_at": version.published_at,
        "modules": list(version.modules.all()),
        "steps": steps,
    }


def _cohort_rows(viewer: Person) -> QuerySet[Cohort]:
    """Cohorts the caller may run, with what a listing shows (three queries a page)."""
    return (
        Cohort.objects.filter(pk__in=rules.cohorts_visible(viewer).values("pk"))
        .select_related("program", "version")
        .prefetch_related(
            Prefetch("master_trainers", queryset=Person.objects.order_by("display_name", "id"))
        )
        .annotate(enrolled=Count("enrolments", filter=Q(enrolments__status__in=_RUNNING)))
        .order_by("-start_date", "name", "id")
    )


def _people_to_enrol(payload: EnrolIn) -> list[Person]:
    """The active people a request names; any unknown email or id refuses the whole request."""
    emails = list(dict.fromkeys(e.lower() for e in payload.emails))
    ids = list(dict.fromkeys(payload.person_ids))
    by_email = {
        p.email.lower(): p
        for p in Person.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=emails, is_active=True
        )
    }
    by_id = Person.objects.filter(pk__in=ids, is_active=True).in_bulk()
    unknown_emails = [e for e in emails if e not in by_email]
    unknown_ids = [pk for pk in ids if pk not in by_id]
    if unknown_emails or unknown_ids:
        shown = [*unknown_emails, *map(str, unknown_ids)]
        raise ApplicationError(
            _("Nobody active has these emails or ids; nobody was enrolled: %(list)s")
            % {"list": ", ".join(shown[:20])},
            code="unknown_people",
            extra={"unknown_emails": unknown_emails, "unknown_person_ids": unknown_ids},
        )
    return [*by_email.values(), *by_id.values()]


def _visible_enrolment(viewer: Person, pk: int) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_related("person", "cohort__program__org_unit", "version")
        .filter(pk=pk)
        .first()
    )
    if enrolment is None or not rules.can_view_enrolment(viewer, enrolment):
        raise NotFound(_("No such enrolment."))
    return enrolment


def _own_enrolment(viewer: Person, pk: int) -> Enrolment:
    """Only the person enrolled works on their path (a mentor who may see it gets a 404 too)."""
    enrolment = (
        Enrolment.objects.select_related("cohort", "version", "person")
        .filter(pk=pk, person=viewer)
        .first()
    )
    if enrolment is None:
        raise NotFound(_("No such enrolment."))
    return enrolment


def _own_attempt(viewer: Person, pk: int) -> QuizAttempt:
    attempt = access.own_attempt(viewer, pk)
    if attempt.enrolment.status == Enrolment.Status.WITHDRAWN:
        # As on the attempt page: a withdrawn person's attempts are closed to them.
        raise NotFound(_("No such attempt."))
    return attempt


def _attempt_out(attempt: QuizAttempt) -> dict[str, Any]:
    """The attempt as its owner may see it: before submission only what ``public`` lets out."""
    results = None
    if attempt.submitted_at is not None:
        graded = {r["qid"]: r for r in attempt.results or []}
        reveal = quizzes.answers_revealed(attempt)
        results = [
            {
                **graded[item["qid"]],
                "explanation": graded[item["qid"]].get("explanation", "") if reveal else "",
                "correct_answer": correct_answer_text(item) if reveal else None,
            }
            for item in attempt.served
            if item["qid"] in graded
        ]
    return {
        "id": attempt.pk,
        "enrolment_id": attempt.enrolment_id,
        "step_id": attempt.step_id,
        "number": attempt.number,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "questions": public(attempt.served),
        "responses": attempt.responses or {},
        "score": attempt.score,
        "passed": attempt.passed,
        "results": results,
    }


# --- Programs -------------------------------------------------------------------------------


@programs_router.get("", response={200: ProgramPage, **ERRORS}, summary="List programs")
def programs_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """The programs you may see, by title: those you manage (program managers in their units,
    trainers their own learner paths), those you take part in (enrolled, or a master trainer
    of one of their cohorts) and, for trainers and master trainers, every published,
    unarchived program for trainers. Anyone else gets an empty list."""
    return paginate(_program_rows(_viewer(request)), page=paging.page, page_size=paging.page_size)


@programs_router.get(
    "/{int:program_id}", response={200: ProgramOut, **ERRORS}, summary="Read a program"
)
def programs_read(request: HttpRequest, program_id: int) -> Program:
    """``draft_version`` is only shown to those who manage the program."""
    return _visible_program(_viewer(request), program_id)


@programs_router.get(
    "/{int:program_id}/versions/{int:number}",
    response={200: VersionOut, **ERRORS},
    summary="Read a version: its modules and steps",
)
def programs_version(request: HttpRequest, program_id: int, number: int) -> dict[str, Any]:
    """Published and retired versions for whoever sees the program; drafts for its managers.
    Quiz steps give their settings and question count, never questions or answers."""
    program = _visible_program(_viewer(request), program_id)
    found = (
        ProgramVersion.objects.filter(program=program, number=number)
        .values_list("pk", "status")
        .first()
    )
    if found is None or (found[1] == _DRAFT and not getattr(program, "manageable", False)):
        raise NotFound(_("No such version."))
    return _version_out(selectors.version_detail(found[0]))


@programs_router.get(
    "/{int:program_id}/questions",
    response={200: QuestionPage, **ERRORS},
    summary="List a program's question bank",
)
def programs_questions(
    request: HttpRequest, program_id: int, filters: Query[QuestionsQuery]
) -> dict[str, Any]:
    """With the answer data, for those who manage the program (they write the questions)."""
    program = _visible_program(_viewer(request), program_id)
    if not getattr(program, "manageable", False):
        raise Forbidden(_("Only those who manage this program see its question bank."))
    questions = program.questions.order_by("id")
    if not filters.include_archived:
        questions = questions.filter(archived=False)
    return paginate(questions, page=filters.page, page_size=filters.page_size)


# --- Cohorts --------------------------------------------------------------------------------


@cohorts_router.get("", response={200: CohortPage, **ERRORS}, summary="List cohorts")
def cohorts_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """The cohorts you may run (program managers of the program, the cohort's master trainers),
    newest start first. Anyone else gets an empty list: learners see theirs at /enrolments."""
    return paginate(_cohort_rows(_viewer(request)), page=paging.page, page_size=paging.page_size)


@cohorts_router.get(
    "/{int:cohort_id}", response={200: CohortOut, **ERRORS}, summary="Read a cohort"
)
def cohorts_read(request: HttpRequest, cohort_id: int) -> Cohort:
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, cohort_id)
    return _cohort_rows(viewer).get(pk=cohort.pk)


@cohorts_router.get(
    "/{int:cohort_id}/enrolments",
    response={200: CohortMemberPage, **ERRORS},
    summary="List a cohort's people and where they stand",
)
def cohorts_enrolments(
    request: HttpRequest, cohort_id: int, paging: Query[PageQuery]
) -> dict[str, Any]:
    """Everyone enrolled and not withdrawn, by name, with their completion, overdue steps and
    next step: the cohort dashboard, in a fixed number of queries whatever its size."""
    cohort = access.cohort_to_run(_viewer(request), cohort_id)
    grid = selectors.cohort_grid(cohort)
    return paginate(grid.rows, page=paging.page, page_size=paging.page_size)


@cohorts_router.post(
    "/{int:cohort_id}/enrolments",
    response={200: EnrolOut, **ERRORS},
    summary="Enrol people in a cohort",
)
def cohorts_enrol(request: HttpRequest, cohort_id: int, payload: EnrolIn) -> dict[str, Any]:
    """Enrol active people by email or id. Idempotent: people already enrolled (including
    withdrawn ones) are listed under ``already`` and left as they are. If any email or id is
    unknown, nobody is enrolled (400 ``unknown_people``, listing them)."""
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, cohort_id)
    result = cohort_services.cohort_enrol(
        cohort=cohort, people=_people_to_enrol(payload), actor=viewer
    )
    return {
        "enrolled": sorted(p.pk for p in result.enrolled),
        "already": sorted(p.pk for p in result.already),
    }


# --- Enrolments and progress ----------------------------------------------------------------


@enrolments_router.get("", response={200: EnrolmentPage, **ERRORS}, summary="List my enrolments")
def enrolments_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Your own enrolments (not withdrawn), newest cohort first."""
    enrolments = selectors.enrolments_of(_viewer(request).pk).order_by("-cohort__start_date", "-id")
    return paginate(enrolments, page=paging.page, page_size=paging.page_size)


@enrolments_router.get(
    "/{int:enrolment_id}/progress",
    response={200: ProgressOut, **ERRORS},
    summary="Read where someone stands on their path",
)
def enrolments_progress(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    """For the person enrolled, their mentor and line manager, and those who run the cohort."""
    enrolment = _visible_enrolment(_viewer(request), enrolment_id)
    path = selectors.enrolment_path(enrolment)
    scores = dict(StepProgress.objects.filter(enrolment=enrolment).values_list("step_id", "score"))
    return {
        "enrolment_id": enrolment.pk,
        "person": enrolment.person,
        "status": enrolment.status,
        "percent": path.percent,
        "required_total": path.required_total,
        "required_done": path.required_done,
        "overdue_count": path.overdue_count,
        "next_step_id": path.next_step.step.id if path.next_step else None,
        "steps": [
            {
                "step_id": state.step.id,
                "title": state.step.title,
                "kind": state.step.kind,
                "required": state.step.required,
                "status": state.status,
                "unlocked": state.unlocked,
                "waiting_on": state.waiting_on,
                "due": state.due,
                "overdue": state.overdue,
                "score": scores.get(state.step.id),
            }
            for state in path.steps
        ],
    }


# --- Quiz attempts --------------------------------------------------------------------------


@enrolments_router.post(
    "/{int:enrolment_id}/steps/{int:step_id}/attempts",
    response={200: AttemptOut, **ERRORS},
    summary="Start a quiz attempt",
)
def attempts_start(request: HttpRequest, enrolment_id: int, step_id: int) -> dict[str, Any]:
    """Start an attempt at a quiz on your path, or get the one already open (so a retried POST
    starts nothing twice). Refused with ``step_locked`` until the prerequisites are done,
    ``no_attempts_left`` when the limit is used up and ``already_passed`` once passed."""
    enrolment = _own_enrolment(_viewer(request), enrolment_id)
    step = access.step_of(enrolment, step_id)
    return _attempt_out(quizzes.attempt_start(enrolment=enrolment, step=step))


@attempts_router.get(
    "/{int:attempt_id}", response={200: AttemptOut, **ERRORS}, summary="Read an attempt"
)
def attempts_read(request: HttpRequest, attempt_id: int) -> dict[str, Any]:
    """Your attempt: before submission the questions and what you saved; after it the score,
    and per question the feedback, the explanation and the right answer."""
    return _attempt_out(_own_attempt(_viewer(request), attempt_id))


@attempts_router.put(
    "/{int:attempt_id}/responses",
    response={200: AttemptOut, **ERRORS},
    summary="Save answers so far",
)
def attempts_save(request: HttpRequest, attempt_id: int, payload: ResponsesIn) -> dict[str, Any]:
    """Autosave: replaces the saved answers while the attempt is open and in time; afterwards
    nothing changes (the attempt returned shows what was kept)."""
    attempt = _own_attempt(_viewer(request), attempt_id)
    quizzes.attempt_save_responses(attempt=attempt, responses=payload.responses)
    attempt.refresh_from_db()
    return _attempt_out(attempt)


@attempts_router.post(
    "/{int:attempt_id}/submit",
    response={200: AttemptOut, **ERRORS},
    summary="Submit an attempt for grading",
)
def attempts_submit(request: HttpRequest, attempt_id: int, payload: ResponsesIn) -> dict[str, Any]:
    """Graded exactly once: submitting again returns the first result unchanged. Past the time
    limit the saved answers are graded instead of those sent."""
    attempt = _own_attempt(_viewer(request), attempt_id)
    return _attempt_out(quizzes.attempt_submit(attempt=attempt, responses=payload.responses))
