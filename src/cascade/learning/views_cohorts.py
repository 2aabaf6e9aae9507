"""Cohort pages: the list, opening a cohort, the people × steps dashboard, enrolling, nudging and
the CSV export.

Every cohort page is authorised with :func:`cascade.learning.access.cohort_to_run` (404 for
anyone who may not run it); writes go through :mod:`cascade.learning.services.cohorts` and the
grid comes from :func:`cascade.learning.selectors.cohort_grid`, so the page, the export and the
nudge agree on who is behind.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cascade.core.errors import ApplicationError
from cascade.core.permissions import role_required
from cascade.learning import access, rules, selectors
from cascade.learning.forms_cohorts import (
    CohortForm,
    EnrolCsvForm,
    EnrolEmailsForm,
    EnrolOrgUnitForm,
    MentorForm,
    NudgeForm,
)
from cascade.learning.models import (
    Cohort,
    Enrolment,
    Module,
    ProgressStatus,
    Step,
    StepKind,
    StepProgress,
)
from cascade.learning.progress import StepState, path_state
from cascade.learning.services import cohorts as services
from cascade.people.models import OrgUnit, Person, Role
from cascade.people.rules import managed_unit_paths, people_scope_q
from cascade.people.selectors import org_units_all

RUNNING = (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)  # the grid's people
PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


# --- The list -------------------------------------------------------------------------------


def cohort_phase(cohort: Cohort, today: date) -> str:
    """What people call the cohort's state: closed, not started yet, or running.

    Nothing moves ``Cohort.status`` from planned to running yet, so the start date decides.
    """
    if cohort.status == Cohort.Status.CLOSED:
        return str(Cohort.Status.CLOSED.label)
    if cohort.start_date > today:
        return _("Not started yet")
    return str(Cohort.Status.RUNNING.label)


@dataclass
class CohortRow:
    cohort: Cohort
    enrolled: int
    completed: int
    percent: int | None
    behind: int
    phase: str


def _cohort_rows(cohorts: list[Cohort], *, today: date) -> list[CohortRow]:
    """Figures for a page of cohorts (annotated by :func:`_cohorts_annotated`) in one query.

    "Behind" is the rule of :func:`cascade.learning.progress.path_state` in SQL: some required
    step of the cohort's version was due before today and is neither completed nor submitted.
    Keep the two in step (``test_views_cohorts`` compares them).
    """
    behind: dict[int, int] = {}
    if cohorts:
        days_since_start = Case(
            *[When(cohort_id=c.pk, then=Value((today - c.start_date).days)) for c in cohorts],
            default=Value(-1),
            output_field=IntegerField(),
        )
        overdue_steps = Step.objects.filter(
            version_id=OuterRef("cohort__version_id"),
            required=True,
            due_offset_days__isnull=False,
            due_offset_days__lt=OuterRef("days_since_start"),
        ).filter(
            ~Exists(
                StepProgress.objects.filter(
                    enrolment_id=OuterRef(OuterRef("pk")),
                    step_id=OuterRef("pk"),
                    status__in=[ProgressStatus.COMPLETED, ProgressStatus.SUBMITTED],
                )
            )
        )
        behind = dict(
            Enrolment.objects.filter(cohort__in=[c.pk for c in cohorts], status__in=RUNNING)
            .annotate(days_since_start=days_since_start)
            .filter(Exists(overdue_steps))
            .order_by()
            .values("cohort_id")
            .annotate(n=Count("pk"))
            .values_list("cohort_id", "n")
        )
    rows = []
    for c in cohorts:
        enrolled: int = c.enrolled  # type: ignore[attr-defined]
        total: int = c.required_total  # type: ignore[attr-defined]
        done: int = c.required_done  # type: ignore[attr-defined]
        percent = None
        if enrolled:
            percent = 100 if not total else min(100, round(100 * done / (enrolled * total)))
        rows.append(
            CohortRow(
                cohort=c,
                enrolled=enrolled,
                completed=c.completed,  # type: ignore[attr-defined]
                percent=percent,
                behind=behind.get(c.pk, 0),
                phase=cohort_phase(c, today),
            )
        )
    return rows


def _cohorts_annotated(viewer: Person) -> QuerySet[Cohort]:
    """The cohorts the viewer may run with their counts, in one query per page."""
    running = Q(enrolments__status__in=RUNNING)
    required_total = (
        Step.objects.filter(version_id=OuterRef("version_id"), required=True)
        .order_by()
        .values("version_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Cohort.objects.filter(pk__in=rules.cohorts_visible(viewer).values("pk"))
        .select_related("program")
        .annotate(
            enrolled=Count("enrolments", filter=running, distinct=True),
            completed=Count(
                "enrolments",
                filter=Q(enrolments__status=Enrolment.Status.COMPLETED),
                distinct=True,
            ),
            required_done=Count(
                "enrolments__progress",
                filter=running
                & Q(
                    enrolments__progress__status=ProgressStatus.COMPLETED,
                    enrolments__progress__step__required=True,
                ),
            ),
            required_total=Coalesce(Subquery(required_total), 0),
        )
        .order_by("-start_date", "name", "pk")
    )


@role_required(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER)
def cohort_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    today = timezone.localdate()
    page = Paginator(_cohorts_annotated(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _cohort_rows(list(page.object_list), today=today)
    return render(
        request,
        "learning/cohorts/list.html",
        {
            "page_obj": page,
            "rows": rows,
            "query_string": "",
            "today": today,
            "can_open": viewer.has_role(Role.PROGRAM_MANAGER),
        },
    )


# --- Opening a cohort -----------------------------------------------------------------------


def _masters_in_scope(viewer: Person) -> QuerySet[Person]:
    qs = Person.objects.filter(is_active=True, role_assignments__role=Role.MASTER_TRAINER)
    scope = people_scope_q(viewer)
    if scope is not None:
        qs = qs.filter(scope)
    return qs.distinct().order_by("display_name", "pk")


@role_required(Role.PROGRAM_MANAGER)
def cohort_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    programs = selectors.programs_list(
        rules.programs_manageable(viewer).filter(archived_at__isnull=True)
    )
    form = CohortForm(request.POST or None, programs=programs, masters=_masters_in_scope(viewer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cohort = services.cohort_create(
                program=data["program"],
                name=data["name"],
                start_date=data["start_date"],
                actor=viewer,
                master_trainers=data["master_trainers"],
            )
        except ApplicationError as exc:
            form.add_error("program" if exc.code == "not_published" else None, exc.message)
        else:
            messages.success(
                request,
                _("The cohort “%(name)s” is open. Enrol its candidates now.")
                % {"name": cohort.name},
            )
            return redirect("learning:cohort_enrol", pk=cohort.pk)
    return render(request, "learning/cohorts/new.html", {"form": form})


# --- The dashboard --------------------------------------------------------------------------

SYMBOL_CLASS = {
    ProgressStatus.COMPLETED: "done",
    ProgressStatus.SUBMITTED: "review",
    ProgressStatus.IN_PROGRESS: "doing",
    ProgressStatus.FAILED: "failed",
    ProgressStatus.NOT_STARTED: "todo",
}


def _status_label(state: StepState) -> str:
    if state.status == ProgressStatus.NOT_STARTED and not state.unlocked:
        return _("Locked")
    return str(ProgressStatus(state.status).label)


@dataclass(frozen=True)
class Cell:
    css: str
    label: str  # what a screen reader and the CSV say
    html: str  # the grid's <td>, escaped


def _cell(state: StepState) -> Cell:
    locked = state.status == ProgressStatus.NOT_STARTED and not state.unlocked
    css = "locked" if locked else SYMBOL_CLASS.get(ProgressStatus(state.status), "todo")
    label = _status_label(state)
    if state.overdue and state.due is not None:
        css += " late"
        label = _("%(status)s, overdue since %(date)s") % {
            "status": label,
            "date": date_format(state.due, "DATE_FORMAT"),
        }
    html = format_html('<td class="{}"><span class="vh">{}</span></td>', css, label)
    return Cell(css=css, label=label, html=html)


class CellMaker:
    """One shared :class:`Cell` per distinct state: a 500 × 20 grid has a few dozen, and
    rendering each of its 10,000 cells through the template engine took most of the page's
    time."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, bool, bool, date | None], Cell] = {}

    def __call__(self, state: StepState) -> Cell:
        key = (state.status, state.unlocked, state.overdue, state.due)
        cell = self._made.get(key)
        if cell is None:
            cell = self._made[key] = _cell(state)
        return cell


@dataclass
class Column:
    number: int
    title: str
    kind: str
    due: date | None
    required: bool


@dataclass
class ModuleGroup:
    title: str
    span: int


@dataclass
class BoardRow:
    """One person's line, with what the template prints read once (500 rows × 20 steps)."""

    row: selectors.GridRow
    cells: list[Cell]
    mentor: str
    pid: str
    name: str
    email: str
    percent: int
    late: int

    @property
    def cells_html(self) -> str:
        return mark_safe("".join(c.html for c in self.cells))  # noqa: S308 - each part escaped

    @property
    def person(self) -> Person:
        return self.row.enrolment.person  # type: ignore[return-value]


@dataclass
class Board:
    columns: list[Column]
    modules: list[ModuleGroup]
    rows: list[BoardRow]
    summary: dict[str, int] = field(default_factory=dict)


def _board(cohort: Cohort, grid: selectors.CohortGrid, *, behind_only: bool) -> Board:
    kinds = dict(StepKind.choices)
    start = cohort.start_date
    # Due dates are the same for everyone in the cohort: ask the path rules once, for nobody.
    dues = [s.due for s in path_state(grid.steps, {}, start=start, today=start).steps]
    columns = [
        Column(
            number=number,
            title=step.title,
            kind=str(kinds.get(step.kind, step.kind)),
            due=due,
            required=step.required,
        )
        for number, (step, due) in enumerate(zip(grid.steps, dues, strict=True), start=1)
    ]
    modules: list[ModuleGroup] = []
    if any(s.module_id for s in grid.steps):
        titles = dict(
            Module.objects.filter(version_id=cohort.version_id).values_list("id", "title")
        )
        for step in grid.steps:
            title = titles.get(step.module_id, "") if step.module_id else ""
            if modules and modules[-1].title == title:
                modules[-1].span += 1
            else:
                modules.append(ModuleGroup(title=title, span=1))
    mentor_ids = {r.enrolment.mentor_id for r in grid.rows if r.enrolment.mentor_id}
    mentors = Person.objects.in_bulk(mentor_ids) if mentor_ids else {}
    rows = []
    make_cell = CellMaker()
    waiting_total = 0
    completed = 0
    on_track = 0
    for grid_row in grid.rows:
        path = grid_row.path
        waiting = sum(1 for s in path.steps if s.status == ProgressStatus.SUBMITTED)
        waiting_total += waiting
        completed += path.complete
        on_track += not path.complete and not path.overdue_count
        if behind_only and not path.overdue_count:
            continue
        mentor = mentors.get(grid_row.enrolment.mentor_id or 0)
        person: Person = grid_row.enrolment.person  # type: ignore[assignment]
        rows.append(
            BoardRow(
                row=grid_row,
                cells=[make_cell(s) for s in path.steps],
                mentor=str(mentor) if mentor else "",
                pid=str(person.pk),
                name=person.display_name,
                email=person.email,
                percent=path.percent,
                late=path.overdue_count,
            )
        )
    summary = {
        "enrolled": len(grid.rows),
        "completed": completed,
        "on_track": on_track,
        "behind": len(grid.behind),
        "waiting": waiting_total,
    }
    return Board(columns=columns, modules=modules, rows=rows, summary=summary)


@login_required
def cohort_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, pk)
    behind_only = request.GET.get("show") == "behind"
    grid = selectors.cohort_grid(cohort)
    board = _board(cohort, grid, behind_only=behind_only)
    context = {
        "cohort": cohort,
        "phase": cohort_phase(cohort, timezone.localdate()),
        "board": board,
        "behind_only": behind_only,
        "masters": list(cohort.master_trainers.order_by("display_name")),
        "nudge_form": NudgeForm(enrolled=Person.objects.none()),
    }
    template = "learning/cohorts/dashboard.html"
    if getattr(request, "htmx", False):
        template += "#grid"
    return render(request, template, context)


# --- Nudging --------------------------------------------------------------------------------


@login_required
@require_POST
def cohort_nudge(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, pk)
    back = reverse("learning:cohort", args=[cohort.pk])
    if request.POST.get("show") == "behind":
        back += "?show=behind"
    enrolled = Person.objects.filter(
        program_enrolments__cohort=cohort, program_enrolments__status__in=RUNNING
    )
    form = NudgeForm(request.POST, enrolled=enrolled)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    if form.cleaned_data["who"] == "behind":
        people = [r.enrolment.person for r in selectors.cohort_grid(cohort).behind]
        if not people:
            messages.info(request, _("Nobody is behind: there is nobody to nudge."))
            return redirect(back)
    else:
        people = list(form.cleaned_data["person"])
        if not people:
            messages.warning(request, _("Select the people to nudge first."))
            return redirect(back)
    sent = services.cohort_nudge(
        cohort=cohort, people=people, actor=viewer, message=form.cleaned_data["message"]
    )
    skipped = len(people) - sent
    if sent == 0:
        messages.info(
            request,
            ngettext(
                "Nothing new was sent: this person was already nudged today.",
                "Nothing new was sent: these %(count)d people were already nudged today.",
                len(people),
            )
            % {"count": len(people)},
        )
        return redirect(back)
    text = ngettext(
        "%(count)d person nudged by email and in the app.",
        "%(count)d people nudged by email and in the app.",
        sent,
    ) % {"count": sent}
    if skipped:
        text += " " + ngettext(
            "%(count)d was already nudged today and got nothing new.",
            "%(count)d were already nudged today and got nothing new.",
            skipped,
        ) % {"count": skipped}
    messages.success(request, text)
    return redirect(back)


# --- Enrolling ------------------------------------------------------------------------------


def _units_in_scope(viewer: Person) -> QuerySet[OrgUnit]:
    """The org units a program manager runs; none for anyone else."""
    if not viewer.has_role(Role.PROGRAM_MANAGER):
        return OrgUnit.objects.none()
    paths = managed_unit_paths(viewer)
    units = org_units_all()
    if paths is None:
        return units
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return units.filter(q)


def _enrol_message(result: services.EnrolResult) -> str:
    text = ngettext(
        "%(count)d person enrolled.", "%(count)d people enrolled.", len(result.enrolled)
    ) % {"count": len(result.enrolled)}
    if result.already:
        text += " " + ngettext(
            "%(count)d was already enrolled.",
            "%(count)d were already enrolled.",
            len(result.already),
        ) % {"count": len(result.already)}
    return text


@login_required
def cohort_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, pk)
    units = _units_in_scope(viewer)
    enrolments = (
        Enrolment.objects.filter(cohort=cohort, status__in=RUNNING)
        .select_related("person", "mentor")
        .order_by("person__display_name", "person_id")
    )
    method = request.POST.get("method") if request.method == "POST" else None
    data = request.POST if method else None
    forms: dict[str, Any] = {
        "emails": EnrolEmailsForm(data if method == "emails" else None, prefix="emails"),
        "csv": EnrolCsvForm(
            data if method == "csv" else None,
            request.FILES if method == "csv" else None,
            prefix="csv",
        ),
        "unit": EnrolOrgUnitForm(data if method == "unit" else None, prefix="unit", units=units),
        "mentor": MentorForm(
            data if method == "mentor" else None, prefix="mentor", enrolments=enrolments
        ),
    }
    form = forms.get(method or "")
    if form is not None and form.is_valid():
        target = {"emails": "emails", "csv": "file", "unit": "org_unit", "mentor": "mentor_email"}
        try:
            if method == "mentor":
                enrolment = form.cleaned_data["enrolment"]
                mentor = form.cleaned_data["mentor_email"]
                services.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=viewer)
                if mentor is None:
                    text = _("%(person)s has no mentor now.") % {"person": enrolment.person}
                else:
                    text = _("%(mentor)s now mentors %(person)s.") % {
                        "mentor": mentor,
                        "person": enrolment.person,
                    }
                messages.success(request, text)
                return redirect("learning:cohort_enrol", pk=cohort.pk)
            if method == "emails":
                result = services.cohort_enrol(
                    cohort=cohort, people=form.cleaned_data["emails"], actor=viewer
                )
            elif method == "csv":
                result = services.cohort_enrol_csv(
                    cohort=cohort, csv_bytes=form.cleaned_data["file"], actor=viewer
                )
            else:
                result = services.cohort_enrol_org_unit(
                    cohort=cohort, unit=form.cleaned_data["org_unit"], actor=viewer
                )
        except ApplicationError as exc:
            form.add_error(target[str(method)], exc.message)
        else:
            messages.success(request, _enrol_message(result))
            return redirect("learning:cohort_enrol", pk=cohort.pk)
    return render(
        request,
        "learning/cohorts/enrol.html",
        {
            "cohort": cohort,
            "forms": forms,
            "enrolled_count": enrolments.count(),
            "units_available": units.exists(),
        },
    )


# --- Export ---------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@login_required
def cohort_export(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cohort = access.cohort_to_run(viewer, pk)
    grid = selectors.cohort_grid(cohort)
    filename = f"cohort-{cohort.pk}-{slugify(cohort.name)[:50] or 'export'}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response.write("\ufeff")  # a BOM, so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    header: list[object] = [
        _("Name"),
        _("Email"),
        _("Org unit"),
        _("Status"),
        _("Percent complete"),
        _("Overdue steps"),
    ]
    header += [f"{n}. {step.title}" for n, step in enumerate(grid.steps, start=1)]
    writer.writerow([csv_safe(v) for v in header])
    make_cell = CellMaker()
    for row in grid.rows:
        person = row.enrolment.person
        path = row.path
        if path.complete:
            status = _("Completed")
        elif path.overdue_count:
            status = _("Behind")
        else:
            status = _("On track")
        unit = person.org_unit.name if person.org_unit else ""  # type: ignore[attr-defined]
        cells: list[object] = [
            person.display_name,  # type: ignore[attr-defined]
            person.email,  # type: ignore[attr-defined]
            unit,
            status,
            path.percent,
            path.overdue_count,
        ]
        cells += [make_cell(s).label for s in path.steps]
        writer.writerow([csv_safe(v) for v in cells])
    return response
