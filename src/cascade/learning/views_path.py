"""Doing a path: a person's programs, their path, each step by kind, quiz attempts, downloads.

Views parse, authorise (``learning.access``), call one service or selector, and render. Every
object is fetched through the viewer: another person's path, attempt or file answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.core.uploads import download_response
from cascade.learning import access, rules, selectors
from cascade.learning.forms_path import (
    MentoringForm,
    QuizAttemptForm,
    ReflectionForm,
    TaskSubmitForm,
    TeachBackForm,
    result_rows,
)
from cascade.learning.models import (
    Cohort,
    Enrolment,
    EvidenceFile,
    Module,
    ProgressStatus,
    QuizAttempt,
    ReflectionEntry,
    Step,
    StepKind,
    StepProgress,
    StepResource,
)
from cascade.learning.progress import PathState, StepState
from cascade.learning.quiz import public
from cascade.learning.services import progress as progress_services
from cascade.learning.services import quizzes
from cascade.learning.step_config import quiz_config
from cascade.people.models import Person


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


# --- My programs and my path ----------------------------------------------------------------


@login_required
@require_GET
def my_programs(request: HttpRequest) -> HttpResponse:
    rows = selectors.program_rows(_viewer(request).pk, today=timezone.localdate())
    return render(request, "learning/path/my_programs.html", {"rows": rows})


@dataclass
class PathRow:
    """A step on the path page: its state, what it waits for, whether it is next."""

    state: StepState
    kind_label: str
    waiting: list[str]
    is_next: bool


@dataclass
class PathSection:
    module: Module | None
    rows: list[PathRow] = field(default_factory=list)


def _sections(path: PathState, modules: dict[int, Module]) -> list[PathSection]:
    """Steps in path order, grouped into runs that share a module."""
    titles = {s.step.id: s.step.title for s in path.steps}
    sections: list[PathSection] = []
    for state in path.steps:
        module = modules.get(state.step.module_id) if state.step.module_id else None
        if not sections or sections[-1].module != module:
            sections.append(PathSection(module=module))
        sections[-1].rows.append(
            PathRow(
                state=state,
                kind_label=str(StepKind(state.step.kind).label),
                waiting=[titles[i] for i in state.waiting_on],
                is_next=path.next_step is not None and path.next_step.step.id == state.step.id,
            )
        )
    return sections


@login_required
@require_GET
def my_path(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    enrolment = access.own_enrolment(_viewer(request), cohort_pk)
    today = timezone.localdate()
    path = selectors.enrolment_path(enrolment, today=today)
    modules = {m.pk: m for m in Module.objects.filter(version_id=enrolment.version_id)}
    next_step = path.next_step
    return render(
        request,
        "learning/path/my_path.html",
        {
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "path": path,
            "sections": _sections(path, modules),
            "next_kind": str(StepKind(next_step.step.kind).label) if next_step else "",
            "due_soon": selectors.due_soon_count(path, today),
        },
    )


# --- A step ---------------------------------------------------------------------------------


@dataclass
class StepPage:
    """What every step page shows, whatever its kind."""

    request: HttpRequest
    enrolment: Enrolment
    step: Step
    state: StepState
    progress: StepProgress | None
    waiting_titles: list[str]

    @property
    def viewer(self) -> Person:
        return _viewer(self.request)

    @property
    def posted(self) -> bool:
        return self.request.method == "POST"

    def form_args(self) -> tuple[Any, Any]:
        """The form's data and files: what was posted, or nothing (an unbound form)."""
        return (self.request.POST, self.request.FILES) if self.posted else (None, None)

    def back_here(self) -> HttpResponse:
        return redirect("learning:step", self.enrolment.cohort_id, self.step.pk)


# Which field a service's refusal concerns (upload_* codes all concern the evidence field).
FIELD_FOR_CODE = {
    "evidence_missing": "evidence",
    "checklist_incomplete": "checklist",
    "too_short": "text",
    "future_date": "met_on",
}


def _form_error(form: Any, exc: ApplicationError, *, rename: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the field it concerns (or the form), in place."""
    if exc.status == 404:
        raise Http404
    name = "evidence" if exc.code.startswith("upload_") else FIELD_FOR_CODE.get(exc.code, "")
    name = (rename or {}).get(name, name)
    form.add_error(name if name in form.fields else None, exc.message)


def _lesson(page: StepPage) -> dict[str, Any] | HttpResponse:
    if page.request.method == "POST":
        try:
            progress_services.lesson_complete(enrolment=page.enrolment, step=page.step)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404 from exc
            messages.error(page.request, exc.message)
            return page.back_here()
        messages.success(page.request, _("“%(step)s” is complete.") % {"step": page.step.title})
        return redirect("learning:my_path", page.enrolment.cohort_id)
    resources = list(page.step.resources.all())
    return {
        "video_url": (page.step.config or {}).get("video_url", ""),
        "videos": [r for r in resources if r.content_type.startswith("video/")],
        "resources": resources,
    }


def _quiz(page: StepPage) -> dict[str, Any] | HttpResponse:
    if page.request.method == "POST":
        return HttpResponseNotAllowed(["GET"])
    cfg = quiz_config(page.step.config)
    attempts = list(
        QuizAttempt.objects.filter(enrolment=page.enrolment, step=page.step)
        .defer("served", "responses", "results")
        .order_by("number")
    )
    submitted = [a for a in attempts if a.submitted_at is not None]
    left = quizzes.attempts_left(page.step, len(attempts))
    passed = page.progress is not None and page.progress.status == ProgressStatus.COMPLETED
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    return {
        "cfg": cfg,
        "attempts": attempts,
        "attempts_left": left,
        "best": max((a.score or 0 for a in submitted), default=None),
        "open_attempt": open_attempt,
        "passed": passed,
        "can_start": page.state.unlocked
        and not passed
        and (open_attempt is not None or left is None or left > 0),
        "question_count": cfg.draw_count or page.step.step_questions.count(),
    }


def _files(page: StepPage) -> list[EvidenceFile]:
    return list(page.progress.files.all()) if page.progress else []


def _can_submit(page: StepPage) -> bool:
    return page.state.unlocked and (
        page.progress is None
        or page.progress.status not in (ProgressStatus.SUBMITTED, ProgressStatus.COMPLETED)
    )


def _submit_for_review(
    page: StepPage, form: Any, *, checked: list[int], note: str, uploads: list[Any], field: str
) -> HttpResponse | None:
    try:
        progress_services.task_submit(
            enrolment=page.enrolment,
            step=page.step,
            checked_items=checked,
            note=note,
            uploads=uploads,
        )
    except ApplicationError as exc:
        _form_error(form, exc, rename={"evidence": field})
        return None
    messages.success(page.request, _("Submitted. Your reviewer has been told."))
    return page.back_here()


def _task(page: StepPage) -> dict[str, Any] | HttpResponse:
    items = list((page.step.config or {}).get("checklist") or [])
    progress = page.progress
    initial = {"checklist": progress.checklist, "note": progress.submission} if progress else {}
    form = TaskSubmitForm(*page.form_args(), items=items, initial=initial)
    if page.posted and form.is_valid():
        data = form.cleaned_data
        done = _submit_for_review(
            page,
            form,
            checked=form.checked_items,
            note=data["note"],
            uploads=data["evidence"],
            field="evidence",
        )
        if done:
            return done
    ticked = set(progress.checklist if progress else [])
    return {
        "form": form,
        "items": [(text, i in ticked) for i, text in enumerate(items)],
        "files": _files(page),
        "can_submit": _can_submit(page),
    }


def _teach_back(page: StepPage) -> dict[str, Any] | HttpResponse:
    initial = TeachBackForm.initial_from(page.progress.submission) if page.progress else {}
    form = TeachBackForm(*page.form_args(), initial=initial)
    if page.posted and form.is_valid():
        done = _submit_for_review(
            page,
            form,
            checked=[],
            note=form.submission,
            uploads=form.cleaned_data["recording"],
            field="recording",
        )
        if done:
            return done
    return {
        "form": form,
        "files": _files(page),
        "can_submit": _can_submit(page),
        "duration": (page.step.config or {}).get("duration_minutes"),
    }


def _reflection(page: StepPage) -> dict[str, Any] | HttpResponse:
    entry = (
        ReflectionEntry.objects.select_related("replied_by").filter(progress=page.progress).first()
        if page.progress
        else None
    )
    form = ReflectionForm(page.form_args()[0], initial={"text": entry.text if entry else ""})
    if page.posted and form.is_valid():
        try:
            progress_services.reflection_submit(
                enrolment=page.enrolment, step=page.step, text=form.cleaned_data["text"]
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(page.request, _("Your reflection is saved."))
            return page.back_here()
    return {
        "form": form,
        "entry": entry,
        "can_submit": page.state.unlocked and (entry is None or entry.replied_at is None),
        "min_words": (page.step.config or {}).get("min_words", 0),
    }


def _mentoring(page: StepPage) -> dict[str, Any] | HttpResponse:
    form = MentoringForm(page.form_args()[0])
    if page.posted and form.is_valid():
        try:
            progress_services.mentoring_log(
                enrolment=page.enrolment,
                step=page.step,
                actor=page.viewer,
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(page.request, _("The meeting is logged."))
            return page.back_here()
    meetings = list(page.progress.meetings.select_related("logged_by")) if page.progress else []
    return {
        "form": form,
        "meetings": meetings,
        "needed": (page.step.config or {}).get("meetings_required", 1),
        "can_submit": page.state.unlocked,
    }


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _live_session(page: StepPage) -> dict[str, Any] | HttpResponse:
    if page.request.method == "POST":
        return HttpResponseNotAllowed(["GET"])
    cfg = page.step.config or {}
    starts, ends = _when(cfg.get("starts_at", "")), _when(cfg.get("ends_at", ""))
    return {
        "starts": starts,
        "ends": ends,
        "naive": starts is not None and timezone.is_naive(starts),
        "venue": cfg.get("venue", ""),
        "join_url": cfg.get("join_url", ""),
    }


KIND_HANDLERS = {
    StepKind.LESSON: _lesson,
    StepKind.QUIZ: _quiz,
    StepKind.ON_THE_JOB: _task,
    StepKind.TEACH_BACK: _teach_back,
    StepKind.REFLECTION: _reflection,
    StepKind.MENTORING: _mentoring,
    StepKind.LIVE_SESSION: _live_session,
}


@login_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, cohort_pk: int, step_pk: int) -> HttpResponseBase:
    enrolment = access.own_enrolment(_viewer(request), cohort_pk)
    the_step = access.step_of(enrolment, step_pk)
    path = selectors.enrolment_path(enrolment)
    state = next(s for s in path.steps if s.step.id == the_step.pk)
    titles = {s.step.id: s.step.title for s in path.steps}
    page = StepPage(
        request=request,
        enrolment=enrolment,
        step=the_step,
        state=state,
        progress=StepProgress.objects.filter(enrolment=enrolment, step=the_step).first(),
        waiting_titles=[titles[i] for i in state.waiting_on],
    )
    result = KIND_HANDLERS[StepKind(the_step.kind)](page)
    if isinstance(result, HttpResponseBase):
        return result
    return render(
        request,
        "learning/path/step.html",
        {
            "page": page,
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "step": the_step,
            "state": state,
            "progress": page.progress,
            "body": render_markdown(the_step.body),
            "kind_template": f"learning/path/kinds/{the_step.kind}.html",
            **result,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Quiz attempts --------------------------------------------------------------------------


@login_required
@require_POST
def quiz_start(request: HttpRequest, cohort_pk: int, step_pk: int) -> HttpResponse:
    enrolment = access.own_enrolment(_viewer(request), cohort_pk)
    the_step = access.step_of(enrolment, step_pk)
    try:
        started = quizzes.attempt_start(enrolment=enrolment, step=the_step)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect("learning:step", cohort_pk, the_step.pk)
    return redirect("learning:attempt", started.pk)


def _attempt_result(request: HttpRequest, attempt: QuizAttempt) -> HttpResponse:
    rows = result_rows(attempt.served, attempt.results or [], attempt.responses or {})
    others = QuizAttempt.objects.filter(enrolment_id=attempt.enrolment_id, step=attempt.step)
    progress = (
        StepProgress.objects.filter(enrolment_id=attempt.enrolment_id, step=attempt.step)
        .only("status")
        .first()
    )
    passed_quiz = progress is not None and progress.status == ProgressStatus.COMPLETED
    left = quizzes.attempts_left(attempt.step, others.count())
    return render(
        request,
        "learning/path/attempt_result.html",
        {
            "attempt": attempt,
            "step": attempt.step,
            "cohort": attempt.enrolment.cohort,
            "cfg": quiz_config(attempt.step.config),
            "rows": rows,
            "right": sum(1 for r in rows if r["result"].get("correct")),
            "attempts_left": left,
            "can_retry": not passed_quiz and (left is None or left > 0),
            "passed_quiz": passed_quiz,
            "reveal": quizzes.answers_revealed(attempt),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    the_attempt = access.own_attempt(_viewer(request), pk)
    if the_attempt.enrolment.status == Enrolment.Status.WITHDRAWN:
        raise Http404
    if the_attempt.submitted_at is not None:
        if request.method == "POST":
            # A double-clicked or retried submit: the result of the first one, unchanged.
            return redirect("learning:attempt", the_attempt.pk)
        return _attempt_result(request, the_attempt)
    posted = request.method == "POST"
    form = QuizAttemptForm(request.POST if posted else None, items=public(the_attempt.served))
    now = timezone.now()
    time_up = the_attempt.deadline is not None and now > the_attempt.deadline
    if posted:
        # Past the time limit the answers are taken as they are (the service decides what
        # still counts); a malformed answer never blocks grading once time is up.
        if form.is_valid() or time_up:
            quizzes.attempt_submit(attempt=the_attempt, responses=form.responses())
            return redirect("learning:attempt", the_attempt.pk)
        messages.error(request, _("Some answers could not be read; check the questions marked."))
    seconds_left = (
        max(0, int((the_attempt.deadline - now).total_seconds()))
        if the_attempt.deadline is not None
        else None
    )
    return render(
        request,
        "learning/path/attempt.html",
        {
            "attempt": the_attempt,
            "step": the_attempt.step,
            "cohort": the_attempt.enrolment.cohort,
            "form": form,
            "questions": form.questions(),
            "seconds_left": seconds_left,
            "time_up": time_up,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Downloads ------------------------------------------------------------------------------


def _may_download_resource(viewer: Person, resource: StepResource) -> bool:
    """People enrolled on a version with this step, its cohorts' master trainers, and those
    who manage the program."""
    version_id = resource.step.version_id
    if (
        Enrolment.objects.filter(person=viewer, version_id=version_id)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .exists()
    ):
        return True
    if Cohort.objects.filter(version_id=version_id, master_trainers=viewer).exists():
        return True
    return rules.can_manage_program(viewer, resource.step.version.program)


def _serve(file_field: Any, *, filename: str, content_type: str) -> FileResponse:
    try:
        return download_response(file_field, filename=filename, content_type=content_type)
    except OSError as exc:  # the record outlived its file (restored backup, manual cleanup)
        raise Http404 from exc


@login_required
@require_GET
def resource_download(request: HttpRequest, pk: int) -> FileResponse:
    resource = (
        StepResource.objects.select_related("step__version__program__org_unit")
        .filter(pk=pk)
        .first()
    )
    if resource is None or not _may_download_resource(_viewer(request), resource):
        raise Http404
    return _serve(
        resource.file, filename=resource.original_name, content_type=resource.content_type
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = EvidenceFile.objects.filter(pk=pk).first()
    if evidence is None:
        raise Http404
    access.progress_visible(_viewer(request), evidence.progress_id)
    return _serve(
        evidence.file, filename=evidence.original_name, content_type=evidence.content_type
    )
