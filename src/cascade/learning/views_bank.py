"""The question bank, the candidate preview, and export/import of a whole program: the
builder's pages beyond the draft itself (``views_builder``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.learning import portable, quiz, rules, selectors
from cascade.learning.forms_builder import (
    ImportForm,
    QuestionForm,
)
from cascade.learning.models import (
    Module,
    Program,
    ProgramVersion,
    Question,
    QuestionKind,
    Step,
    StepKind,
)
from cascade.learning.services import programs as services
from cascade.learning.step_config import quiz_config
from cascade.learning.views_builder import (
    builder_required,
    program_of,
    show_error,
    units_for,
    viewer_of,
)

IMPORT_MAX_BYTES = 100 * 1024 * 1024


# --- Preview as a candidate -----------------------------------------------------------------


@dataclass
class PreviewStep:
    step: Step
    number: int
    body: Any
    prerequisites: list[str]
    resources: list[Any]
    questions: list[dict[str, Any]] = field(default_factory=list)
    quiz: Any = None
    starts: datetime | None = None
    ends: datetime | None = None


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass
class PreviewSection:
    module: Module | None
    steps: list[PreviewStep]


def _preview_quiz(step: Step) -> tuple[Any, list[dict[str, Any]]]:
    config = quiz_config(step.config)
    bank = [
        quiz.BankQuestion(
            id=sq.question.pk,
            kind=sq.question.kind,
            prompt=sq.question.prompt,
            data=sq.question.data,
            explanation=sq.question.explanation,
        )
        for sq in step.step_questions.all()
    ]
    # Seeded by the step: the preview shows one plausible draw, the same on every reload.
    served = quiz.serve(
        bank,
        rng=random.Random(step.pk),  # noqa: S311 - not security: a stable sample for display
        draw_count=config.draw_count,
        shuffle_questions=config.shuffle_questions,
        shuffle_options=config.shuffle_options,
    )
    return config, quiz.public(served)


@builder_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The path as a candidate sees it: read-only, questions without their answers."""
    program = program_of(request, pk)
    versions = list(program.versions.order_by("-number"))
    chosen = None
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        chosen = next((v for v in versions if v.number == int(wanted)), None)
        if chosen is None:
            raise Http404
    else:
        chosen = next(
            (v for v in versions if v.status == ProgramVersion.Status.DRAFT), None
        ) or next((v for v in versions if v.status == ProgramVersion.Status.PUBLISHED), None)
    if chosen is None:
        raise Http404
    version = selectors.version_detail(chosen.pk)
    modules = {m.pk: m for m in version.modules.all()}
    sections: list[PreviewSection] = []
    for number, step in enumerate(version.steps.all(), start=1):
        item = PreviewStep(
            step=step,
            number=number,
            body=render_markdown(step.body),
            prerequisites=[p.title for p in step.prerequisites.all()],
            resources=list(step.resources.all()),
        )
        if step.kind == StepKind.QUIZ:
            item.quiz, item.questions = _preview_quiz(step)
        elif step.kind == StepKind.LIVE_SESSION:
            item.starts, item.ends = (
                _when(step.config.get("starts_at")),
                _when(step.config.get("ends_at")),
            )
        module = modules.get(step.module_id) if step.module_id else None
        if not sections or sections[-1].module != module:
            sections.append(PreviewSection(module=module, steps=[]))
        sections[-1].steps.append(item)
    return render(
        request,
        "learning/builder/preview.html",
        {
            "program": program,
            "version": version,
            "versions": versions,
            "sections": sections,
            "step_count": len(version.steps.all()),
            "tab": "preview",
        },
    )


# --- The question bank ----------------------------------------------------------------------


@builder_required
@require_GET
def question_bank(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    questions = Question.objects.filter(program=program).order_by("topic", "id")
    kind = request.GET.get("kind", "")
    topic = request.GET.get("topic", "")
    bloom = request.GET.get("bloom", "")
    archived = request.GET.get("archived") == "1"
    if kind in QuestionKind.values:
        questions = questions.filter(kind=kind)
    if topic:
        questions = questions.filter(topic=topic)
    if bloom:
        questions = questions.filter(bloom_level=bloom)
    if not archived:
        questions = questions.filter(archived=False)
    topics = (
        Question.objects.filter(program=program)
        .exclude(topic="")
        .order_by("topic")
        .values_list("topic", flat=True)
        .distinct()
    )
    page = Paginator(questions, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    qs = query.urlencode()
    return render(
        request,
        "learning/builder/questions.html",
        {
            "program": program,
            "page_obj": page,
            "query_string": f"{qs}&" if qs else "",
            "topics": list(topics),
            "kinds": QuestionKind.choices,
            "blooms": Question._meta.get_field("bloom_level").choices,
            "filters": {"kind": kind, "topic": topic, "bloom": bloom, "archived": archived},
            "tab": "questions",
        },
    )


QUESTION_HELP: dict[str, Any] = {
    QuestionKind.SINGLE: _("One right answer among several options."),
    QuestionKind.MULTIPLE: _("Tick every right answer."),
    QuestionKind.TRUE_FALSE: _("Is the statement true or false?"),
    QuestionKind.SHORT: _("A word or phrase, typed."),
    QuestionKind.ORDERING: _("Put the items in the right order."),
    QuestionKind.MATCHING: _("Match each item on the left with one on the right."),
}


def _question_page(
    request: HttpRequest, program: Program, form: QuestionForm, question: Question | None
) -> HttpResponse:
    return render(
        request,
        "learning/builder/question_form.html",
        {
            "program": program,
            "form": form,
            "question": question,
            "kind": form.kind,
            "kind_label": QuestionKind(form.kind).label,
            "tab": "questions",
        },
        status=400 if form.is_bound else 200,
    )


@builder_required
@require_http_methods(["GET", "POST"])
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    kind = request.GET.get("kind", "")
    if kind not in QuestionKind.values:
        return render(
            request,
            "learning/builder/kind_choice.html",
            {
                "program": program,
                "tab": "questions",
                "heading": _("Add a question"),
                "choices": [
                    (
                        f"{reverse('learning:question_new', args=[program.pk])}?kind={k}",
                        label,
                        QUESTION_HELP[k],
                    )
                    for k, label in QuestionKind.choices
                ],
            },
        )
    form = QuestionForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            question = services.question_create(
                program=program,
                kind=kind,
                prompt=data["prompt"],
                data=form.answer_data(),
                explanation=data["explanation"],
                topic=data["topic"],
                bloom_level=data["bloom_level"],
            )
        except ApplicationError as exc:
            show_error(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The question is added to the bank."))
            if request.POST.get("another"):
                return redirect(
                    f"{reverse('learning:question_new', args=[program.pk])}?kind={kind}"
                )
            return redirect(f"{reverse('learning:questions', args=[program.pk])}#q-{question.pk}")
    return _question_page(request, program, form, None)


@builder_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, q_pk: int) -> HttpResponse:
    program = program_of(request, pk)
    question = Question.objects.filter(pk=q_pk, program=program).first()
    if question is None:
        raise Http404
    form = QuestionForm(request.POST or None, kind=question.kind, question=question)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.question_update(
                question=question,
                prompt=data["prompt"],
                data=form.answer_data(),
                explanation=data["explanation"],
                topic=data["topic"],
                bloom_level=data["bloom_level"],
                archived=data["archived"],
            )
        except ApplicationError as exc:
            show_error(form, exc)
            question.refresh_from_db()
        except ValidationError as exc:
            form.add_error(None, exc)
            question.refresh_from_db()
        else:
            messages.success(
                request,
                _("The question is saved. Attempts already taken keep the version they saw."),
            )
            return redirect(f"{reverse('learning:questions', args=[program.pk])}#q-{question.pk}")
    return _question_page(request, program, form, question)


# --- Export and import ----------------------------------------------------------------------


@builder_required
@require_GET
def program_export(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    version = portable.export_version(program)
    try:
        data = portable.export_program(program, version)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("learning:program", pk=program.pk)
    number = version.number if version else 0
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-v{number}.cascade.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@builder_required
@require_http_methods(["GET", "POST"])
def program_import(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if not rules.can_create_program(viewer):
        raise PermissionDenied
    units, unit_required = units_for(viewer)
    form = ImportForm(
        request.POST or None, request.FILES or None, units=units, unit_required=unit_required
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if (upload.size or 0) > IMPORT_MAX_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(n)s MB.") % {"n": IMPORT_MAX_BYTES // 1048576},
            )
        else:
            try:
                program = portable.import_program(
                    upload.read(), viewer, form.cleaned_data["org_unit"]
                )
            except portable.ImportRefused as exc:
                problems = exc.problems
                form.add_error("file", _("The file was refused; nothing was imported."))
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("“%(title)s” is imported as a draft. Check it, then publish it.")
                    % {"title": program},
                )
                return redirect("learning:program", pk=program.pk)
    return render(
        request,
        "learning/builder/import.html",
        {"form": form, "problems": problems},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
