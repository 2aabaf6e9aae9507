"""Building programs: the list, a program's versions, its draft (steps, order, publishing),
the candidate preview, the question bank, and export/import of a whole program.

Views parse, authorise (``learning.access`` / ``learning.rules``), call services and render.
The builder always edits the program's *draft*; a published version never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.core.errors import ApplicationError
from cascade.core.permissions import role_required
from cascade.learning import access, rules, selectors
from cascade.learning.forms_builder import (
    KIND_HELP,
    ProgramForm,
    PublishForm,
    StepForm,
)
from cascade.learning.models import (
    Audience,
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepKind,
)
from cascade.learning.services import programs as services
from cascade.people import rules as people_rules
from cascade.people import selectors as people_selectors
from cascade.people.models import OrgUnit, Person, Role

BUILDER_ROLES = (Role.PROGRAM_MANAGER, Role.TRAINER, Role.MASTER_TRAINER)

builder_required = role_required(*BUILDER_ROLES)


def viewer_of(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def program_of(request: HttpRequest, pk: int) -> Program:
    return access.program_to_manage(viewer_of(request), pk)


def units_for(viewer: Person) -> tuple[QuerySet[OrgUnit], bool]:
    """Units a new program may belong to, and whether one must be chosen."""
    if viewer.has_role(Role.PROGRAM_MANAGER):
        units = people_selectors.org_units_all()
        paths = people_rules.managed_unit_paths(viewer)
        if paths is None:
            return units, False
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(path__startswith=path)
        # A program outside every unit would be out of this manager's reach at once.
        return units.filter(q), True
    if viewer.org_unit_id:
        return OrgUnit.objects.filter(pk=viewer.org_unit_id), False
    return OrgUnit.objects.none(), False


def audiences_for(viewer: Person) -> list[str]:
    if viewer.has_role(Role.PROGRAM_MANAGER):
        return [Audience.TRAINERS, Audience.LEARNERS]
    return [Audience.LEARNERS]


def error_field(code: str) -> str | None:
    return {
        "slug_taken": "slug",
        "bad_prerequisite": "prerequisites",
        "bad_question": "questions",
        "bad_module": "module",
        "upload_type": "resource",
        "upload_too_large": "resource",
        "upload_empty": "resource",
        "upload_content": "resource",
    }.get(code)


def show_error(form: Any, exc: ApplicationError) -> None:
    """Put a service's refusal next to the field it is about, else at the top of the form."""
    errors = exc.extra.get("errors")
    if errors and hasattr(form, "apply_errors"):
        form.apply_errors(errors)
        return
    name = error_field(exc.code)
    form.add_error(name if name in form.fields else None, exc.message)


# --- Programs -------------------------------------------------------------------------------


@dataclass
class ProgramRow:
    program: Program
    current: ProgramVersion | None
    draft: ProgramVersion | None


@builder_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    programs = selectors.programs_list(rules.programs_manageable(viewer)).prefetch_related(
        "versions"
    )
    page = Paginator(programs, 50).get_page(request.GET.get("page"))
    rows = []
    for program in page:
        versions = sorted(program.versions.all(), key=lambda v: v.number, reverse=True)
        current = next((v for v in versions if v.status == ProgramVersion.Status.PUBLISHED), None)
        draft = next((v for v in versions if v.status == ProgramVersion.Status.DRAFT), None)
        rows.append(ProgramRow(program=program, current=current, draft=draft))
    return render(
        request,
        "learning/builder/program_list.html",
        {"rows": rows, "page_obj": page, "query_string": "", "can_create": True},
    )


@builder_required
@require_http_methods(["GET", "POST"])
def program_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if not rules.can_create_program(viewer):
        raise PermissionDenied
    units, unit_required = units_for(viewer)
    form = ProgramForm(
        request.POST or None,
        units=units,
        unit_required=unit_required,
        audiences=audiences_for(viewer),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = services.program_create(
                title=data["title"],
                slug=data["slug"],
                actor=viewer,
                summary=data["summary"],
                audience=data["audience"],
                org_unit=data["org_unit"],
            )
        except ApplicationError as exc:
            show_error(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("“%(title)s” is created. Add its first steps.") % {"title": program}
            )
            return redirect("learning:draft", pk=program.pk)
    return render(
        request,
        "learning/builder/program_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@builder_required
@require_GET
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    versions = list(program.versions.select_related("published_by").order_by("-number").all())
    draft = next((v for v in versions if v.status == ProgramVersion.Status.DRAFT), None)
    current = next((v for v in versions if v.status == ProgramVersion.Status.PUBLISHED), None)
    return render(
        request,
        "learning/builder/program_detail.html",
        {
            "program": program,
            "versions": versions,
            "draft": draft,
            "current": current,
            "question_count": program.questions.filter(archived=False).count(),
            "tab": "overview",
        },
    )


# --- The draft: steps, order, publishing ----------------------------------------------------


@dataclass
class StepRow:
    step: Step
    module: Module | None
    prerequisites: list[str]
    question_count: int
    resource_count: int
    first: bool
    last: bool
    new_module: bool


def _draft_rows(version: ProgramVersion) -> list[StepRow]:
    modules = {m.pk: m for m in version.modules.all()}
    steps = list(version.steps.all())
    rows = []
    previous_module: int | None = None
    for i, step in enumerate(steps):
        rows.append(
            StepRow(
                step=step,
                module=modules.get(step.module_id) if step.module_id else None,
                prerequisites=[p.title for p in step.prerequisites.all()],
                question_count=len(step.step_questions.all()),
                resource_count=len(step.resources.all()),
                first=i == 0,
                last=i == len(steps) - 1,
                new_module=i == 0 or step.module_id != previous_module,
            )
        )
        previous_module = step.module_id
    return rows


def _render_draft(
    request: HttpRequest,
    program: Program,
    draft: ProgramVersion,
    *,
    publish_form: PublishForm | None = None,
    refused: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    version = selectors.version_detail(draft.pk)
    return render(
        request,
        "learning/builder/draft.html",
        {
            "program": program,
            "version": version,
            "rows": _draft_rows(version),
            "problems": services.publish_problems(version),
            "refused": refused,
            "publish_form": publish_form or PublishForm(),
            "kinds": [(k, label, KIND_HELP[k]) for k, label in StepKind.choices],
            "tab": "draft",
        },
        status=status,
    )


@builder_required
@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's steps; POST starts a draft (a copy of the published version) if none."""
    program = program_of(request, pk)
    if request.method == "POST":
        existing = services.draft_version(program)
        started = services.version_start_draft(program=program, actor=viewer_of(request))
        if existing is None:
            messages.success(
                request,
                _(
                    "Version %(n)s is a new draft copied from the published version. "
                    "People already enrolled keep the version they started."
                )
                % {"n": started.number},
            )
        return redirect("learning:draft", pk=program.pk)
    draft = services.draft_version(program)
    if draft is None:
        current = services.current_version(program)
        return render(
            request,
            "learning/builder/no_draft.html",
            {"program": program, "current": current, "tab": "draft"},
        )
    return _render_draft(request, program, draft)


def _draft_of(request: HttpRequest, program: Program) -> ProgramVersion | None:
    draft = services.draft_version(program)
    if draft is None:
        messages.error(
            request, _("There is no draft to change. Start editing to create a new draft.")
        )
    return draft


def _draft_step(program: Program, step_pk: int) -> Step:
    """A step of the program's draft; steps of published versions never change."""
    step = (
        Step.objects.select_related("version")
        .filter(pk=step_pk, version__program=program, version__status=ProgramVersion.Status.DRAFT)
        .first()
    )
    if step is None:
        raise Http404
    return step


def _step_form(
    request: HttpRequest, program: Program, version: ProgramVersion, kind: str, step: Step | None
) -> StepForm:
    earlier = Step.objects.filter(version=version).order_by("position", "id")
    if step is not None:
        earlier = earlier.filter(position__lt=step.position)
    bank = None
    if kind == StepKind.QUIZ:
        bank = list(Question.objects.filter(program=program, archived=False).order_by("id"))
    return StepForm(
        request.POST or None,
        request.FILES or None,
        kind=kind,
        version=version,
        modules=list(version.modules.all()),
        earlier=earlier,
        bank=bank,
        step=step,
    )


def _save_step(form: StepForm, version: ProgramVersion, step: Step | None) -> Step:
    data = form.cleaned_data
    # One step is several service calls (settings, prerequisites, questions, a file): all of
    # them or none, so a refusal halfway leaves the draft as it was.
    with transaction.atomic():
        module = data.get("module")
        if (data.get("new_module") or "").strip():
            module = services.module_create(version=version, title=data["new_module"])
        fields = {
            "title": data["title"],
            "body": data["body"],
            "module": module,
            "required": data["required"],
            "due_offset_days": data["due_offset_days"],
            "config": form.config(),
        }
        if step is None:
            step = services.step_create(version=version, kind=form.kind, **fields)
        else:
            step = services.step_update(step=step, **fields)
        services.step_set_prerequisites(
            step=step, prerequisite_ids=[p.pk for p in data["prerequisites"]]
        )
        if form.kind == StepKind.QUIZ:
            services.step_questions_set(step=step, question_ids=form.chosen_question_ids())
        if data.get("resource"):
            services.resource_add(
                step=step, upload=data["resource"], title=data.get("resource_title") or ""
            )
    return step


@builder_required
@require_http_methods(["GET", "POST"])
def step_new(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    draft = _draft_of(request, program)
    if draft is None:
        return redirect("learning:program", pk=program.pk)
    kind = request.GET.get("kind", "")
    if kind not in StepKind.values:
        return render(
            request,
            "learning/builder/kind_choice.html",
            {
                "program": program,
                "tab": "draft",
                "heading": _("Add a step"),
                "choices": [
                    (
                        f"{reverse('learning:step_new', args=[program.pk])}?kind={k}",
                        label,
                        KIND_HELP[k],
                    )
                    for k, label in StepKind.choices
                ],
            },
        )
    form = _step_form(request, program, draft, kind, None)
    if request.method == "POST" and form.is_valid():
        try:
            step = _save_step(form, draft, None)
        except ApplicationError as exc:
            show_error(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The step “%(t)s” is added.") % {"t": step.title})
            return redirect(f"{reverse('learning:draft', args=[program.pk])}#step-{step.pk}")
    return render(
        request,
        "learning/builder/step_form.html",
        {
            "program": program,
            "version": draft,
            "form": form,
            "kind": kind,
            "kind_label": StepKind(kind).label,
            "step": None,
            "tab": "draft",
        },
        status=400 if form.is_bound else 200,
    )


@builder_required
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    program = program_of(request, pk)
    step = _draft_step(program, step_pk)
    form = _step_form(request, program, step.version, step.kind, step)
    if request.method == "POST" and form.is_valid():
        try:
            step = _save_step(form, step.version, step)
        except ApplicationError as exc:
            show_error(form, exc)
            step.refresh_from_db()
        except ValidationError as exc:
            form.add_error(None, exc)
            step.refresh_from_db()
        else:
            messages.success(request, _("The step “%(t)s” is saved.") % {"t": step.title})
            return redirect(f"{reverse('learning:draft', args=[program.pk])}#step-{step.pk}")
    return render(
        request,
        "learning/builder/step_form.html",
        {
            "program": program,
            "version": step.version,
            "form": form,
            "kind": step.kind,
            "kind_label": step.get_kind_display(),
            "step": step,
            "resources": list(step.resources.all()),
            "tab": "draft",
        },
        status=400 if form.is_bound else 200,
    )


def _link_count(version: ProgramVersion) -> int:
    return Step.prerequisites.through.objects.filter(from_step__version=version).count()


def _warn_dropped_links(request: HttpRequest, version: ProgramVersion, before: int) -> None:
    # A reorder removes prerequisites that would now point forward; say so, it is not visible.
    dropped = before - _link_count(version)
    if dropped > 0:
        messages.warning(
            request,
            ngettext(
                "One “open only after” link pointed to a later step and was removed.",
                "%(n)s “open only after” links pointed to later steps and were removed.",
                dropped,
            )
            % {"n": dropped},
        )


@builder_required
@require_POST
def step_move(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    program = program_of(request, pk)
    step = _draft_step(program, step_pk)
    direction = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if direction is None:
        return HttpResponse(_("Say up or down."), status=400, content_type="text/plain")
    links = _link_count(step.version)
    try:
        services.step_move(step=step, direction=direction)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    _warn_dropped_links(request, step.version, links)
    return redirect(f"{reverse('learning:draft', args=[program.pk])}#step-{step.pk}")


@builder_required
@require_POST
def step_delete(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    program = program_of(request, pk)
    step = _draft_step(program, step_pk)
    title = step.title
    try:
        services.step_delete(step=step)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The step “%(t)s” is deleted.") % {"t": title})
    return redirect("learning:draft", pk=program.pk)


@builder_required
@require_POST
def steps_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the draft's steps in a new order (the drag-and-drop enhancement posts here)."""
    program = program_of(request, pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        ordered = [int(v) for v in request.POST.getlist("order")]
    except ValueError:
        ordered = []
    draft = services.draft_version(program)
    try:
        if draft is None:
            raise ApplicationError(_("There is no draft to change."), code="no_draft")
        links = _link_count(draft)
        services.steps_reorder(version=draft, ordered_ids=ordered)
        _warn_dropped_links(request, draft, links)
    except ApplicationError as exc:
        if wants_json:
            return JsonResponse({"ok": False, "detail": exc.message}, status=400)
        messages.error(request, exc.message)
    else:
        if wants_json:
            return JsonResponse({"ok": True})
        messages.success(request, _("The new order is saved."))
    return redirect("learning:draft", pk=program.pk)


@builder_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_of(request, pk)
    draft = _draft_of(request, program)
    if draft is None:
        return redirect("learning:program", pk=program.pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _render_draft(request, program, draft, publish_form=form, status=400)
    try:
        version = services.version_publish(
            version=draft, actor=viewer_of(request), notes=form.cleaned_data["notes"]
        )
    except ApplicationError as exc:
        problems = exc.extra.get("problems") or [exc.message]
        return _render_draft(
            request, program, draft, publish_form=form, refused=problems, status=400
        )
    messages.success(
        request,
        _("Version %(n)s is published. New cohorts run it; people already enrolled keep theirs.")
        % {"n": version.number},
    )
    return redirect("learning:program", pk=program.pk)
