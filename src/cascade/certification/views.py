"""Competency frameworks and rubrics: read by the people who teach, coach and run programmes;
edited as new versions (draft → publish) by program managers of the whole organisation.

Anyone else gets 404, as in the other areas, so nobody learns what they may not see. GET never
changes anything; every POST asks ``rules.can_edit`` itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cascade.certification import rules, selectors, services
from cascade.certification.forms import (
    CompetencyForm,
    CriterionForm,
    FrameworkForm,
    RuleForm,
    apply_error,
)
from cascade.certification.models import (
    LEVELS,
    Competency,
    Criterion,
    Framework,
    Rubric,
    VersionStatus,
)
from cascade.core.errors import ApplicationError
from cascade.people.models import Person

# --- Who is asking ---------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _reader(request: HttpRequest) -> Person:
    viewer = _viewer(request)
    if not rules.can_read(viewer):
        raise Http404
    return viewer


def _editor(request: HttpRequest) -> Person:
    viewer = _viewer(request)
    if not rules.can_edit(viewer):
        raise Http404
    return viewer


def _version_asked(request: HttpRequest) -> int | None:
    raw = request.GET.get("version")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise Http404
    return int(raw)


def _no_draft(request: HttpRequest, view: str, slug: str) -> HttpResponse:
    """Someone published or there never was a draft: say so rather than fail."""
    messages.error(request, _("There is no draft to change. Start a new version first."))
    return redirect(view, slug)


def _failed_at(*places: tuple[str, object]) -> str:
    """The anchor of the part of a draft page whose form failed ("" when none did), so the
    alert at the top can point at it."""
    return next((anchor for anchor, failed in places if failed), "")


def _visible_versions(versions: Any, can_edit: bool) -> list[Any]:
    return [v for v in versions if can_edit or v.status != VersionStatus.DRAFT]


# --- Frameworks ------------------------------------------------------------------------------


@login_required
@require_GET
def framework_list(request: HttpRequest) -> HttpResponse:
    viewer = _reader(request)
    can_edit = rules.can_edit(viewer)
    lines = selectors.framework_lines(drafts=can_edit)
    return render(
        request,
        "certification/frameworks/list.html",
        {"lines": lines, "can_edit": can_edit},
    )


@login_required
@require_GET
def framework_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The published version (or an older one with ``?version=N``): its levels and
    competencies. Drafts only to editors, who are sent to the draft's own page."""
    viewer = _reader(request)
    can_edit = rules.can_edit(viewer)
    framework = selectors.framework_version(slug, _version_asked(request))
    if framework is None:
        raise Http404
    if framework.status == VersionStatus.DRAFT:
        if not can_edit:
            raise Http404
        return redirect("certification:framework_draft", slug)
    versions = _visible_versions(selectors.framework_versions(slug), can_edit)
    return render(
        request,
        "certification/frameworks/detail.html",
        {
            "framework": framework,
            "levels": _levels(framework),
            "versions": versions,
            "draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
            "can_edit": can_edit,
        },
    )


def _levels(framework: Framework) -> list[tuple[int, str, str]]:
    names = list(framework.level_names)
    descriptions = list(framework.level_descriptions)
    return [
        (
            n,
            names[n - 1] if n <= len(names) else "",
            descriptions[n - 1] if n <= len(descriptions) else "",
        )
        for n in range(1, max(len(names), len(descriptions)) + 1)
    ]


@login_required
@require_POST
def framework_new_version(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _editor(request)
    had_draft = selectors.framework_draft(slug) is not None
    try:
        draft = services.framework_draft(slug=slug, actor=viewer)
    except ApplicationError as exc:
        raise Http404 from exc
    if not had_draft:
        messages.success(
            request,
            _("Version %(n)s is a new draft, copied from the latest version.")
            % {"n": draft.version},
        )
    return redirect("certification:framework_draft", slug)


@login_required
@require_GET
def framework_draft(request: HttpRequest, slug: str) -> HttpResponse:
    _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        if selectors.framework_version(slug) is None:
            raise Http404
        return _no_draft(request, "certification:framework", slug)
    return _framework_draft_page(request, draft)


def _framework_draft_page(
    request: HttpRequest,
    draft: Framework,
    *,
    details: FrameworkForm | None = None,
    edited: tuple[int, CompetencyForm] | None = None,
    new: CompetencyForm | None = None,
    publish_error: str = "",
) -> HttpResponse:
    """The draft with every form on it; a form that failed comes back bound, with its errors
    in place, and the page answers 400."""
    rows = []
    for competency in draft.competencies.all():
        if edited is not None and edited[0] == competency.pk:
            form, open_ = edited[1], True
        else:
            form = CompetencyForm(
                initial=CompetencyForm.initial_for(competency), prefix=f"c{competency.pk}"
            )
            open_ = False
        rows.append({"competency": competency, "form": form, "open": open_})
    failed_at = _failed_at(
        ("h-details", details),
        (f"c-{edited[0]}" if edited else "", edited),
        ("h-add", new),
        ("h-publish", publish_error),
    )
    published = selectors.framework_version(draft.slug)
    return render(
        request,
        "certification/frameworks/draft.html",
        {
            "framework": draft,
            "published": published,
            "details": details
            or FrameworkForm(initial=FrameworkForm.initial_for(draft), prefix="framework"),
            "rows": rows,
            "new": new or CompetencyForm(prefix="new"),
            "publish_error": publish_error,
            "failed_at": failed_at,
        },
        status=400 if failed_at else 200,
    )


@login_required
@require_POST
def framework_draft_update(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:framework", slug)
    form = FrameworkForm(request.POST, prefix="framework")
    if form.is_valid():
        try:
            services.framework_update(
                framework=draft,
                actor=viewer,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                level_names=form.level_names(),
            )
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("certification:framework_draft", slug)
    return _framework_draft_page(request, selectors.framework_draft(slug) or draft, details=form)


@login_required
@require_POST
def competency_add(request: HttpRequest, slug: str) -> HttpResponse:
    _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:framework", slug)
    form = CompetencyForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            competency = services.competency_save(framework=draft, **form.cleaned_data)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("%(code)s added.") % {"code": competency.code})
            return redirect(_anchor("certification:framework_draft", slug, f"c-{competency.pk}"))
    return _framework_draft_page(request, draft, new=form)


def _competency_of(draft: Framework, pk: int) -> Competency:
    competency = Competency.objects.filter(pk=pk, framework=draft).first()
    if competency is None:
        raise Http404
    return competency


@login_required
@require_POST
def competency_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:framework", slug)
    competency = _competency_of(draft, pk)
    form = CompetencyForm(request.POST, prefix=f"c{pk}")
    if form.is_valid():
        try:
            services.competency_save(framework=draft, competency=competency, **form.cleaned_data)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("%(code)s saved.") % {"code": competency.code})
            return redirect(_anchor("certification:framework_draft", slug, f"c-{pk}"))
    # Fetched again: the failed save may have changed the objects in memory, not the rows.
    fresh = selectors.framework_draft(slug) or draft
    return _framework_draft_page(request, fresh, edited=(pk, form))


@login_required
@require_POST
def competency_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:framework", slug)
    competency = _competency_of(draft, pk)
    services.competency_remove(competency=competency)
    messages.success(request, _("%(code)s removed.") % {"code": competency.code})
    return redirect("certification:framework_draft", slug)


@login_required
@require_POST
def framework_publish(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _editor(request)
    draft = selectors.framework_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:framework", slug)
    try:
        services.framework_publish(framework=draft, actor=viewer)
    except ApplicationError as exc:
        return _framework_draft_page(request, draft, publish_error=exc.message)
    messages.success(
        request,
        _(
            "Version %(n)s is published. People keep being assessed against the version they "
            "started with."
        )
        % {"n": draft.version},
    )
    return redirect("certification:framework", slug)


def _anchor(view: str, slug: str, fragment: str) -> str:
    return f"{reverse(view, args=[slug])}#{fragment}"


# --- Rubrics ---------------------------------------------------------------------------------


@login_required
@require_GET
def rubric_list(request: HttpRequest) -> HttpResponse:
    viewer = _reader(request)
    can_edit = rules.can_edit(viewer)
    lines = selectors.rubric_lines(drafts=can_edit)
    return render(
        request,
        "certification/rubrics/list.html",
        {
            "rubrics": [line for line in lines if line.current.extends_id is None],
            "add_ons": [line for line in lines if line.current.extends_id is not None],
            "can_edit": can_edit,
        },
    )


@login_required
@require_GET
def rubric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The rubric as a grid of criteria by level, its pass rule in words, the add-ons scored
    with it, and its versions."""
    viewer = _reader(request)
    can_edit = rules.can_edit(viewer)
    rubric = selectors.rubric_version(slug, _version_asked(request))
    if rubric is None:
        raise Http404
    if rubric.status == VersionStatus.DRAFT:
        if not can_edit:
            raise Http404
        return redirect("certification:rubric_draft", slug)
    versions = _visible_versions(selectors.rubric_versions(slug), can_edit)
    return render(
        request,
        "certification/rubrics/detail.html",
        {
            "rubric": rubric,
            "levels": LEVELS,
            "grid": [
                {
                    "criterion": c,
                    "anchors": [(n, c.anchors.get(str(n), "")) for n in LEVELS],
                }
                for c in rubric.criteria.all()
            ],
            "add_ons": selectors.rubric_add_ons(slug),
            "versions": versions,
            "draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
            "can_edit": can_edit,
        },
    )


@login_required
@require_POST
def rubric_new_version(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _editor(request)
    had_draft = Rubric.objects.filter(slug=slug, status=VersionStatus.DRAFT).exists()
    try:
        draft = services.rubric_draft(slug=slug, actor=viewer)
    except ApplicationError as exc:
        raise Http404 from exc
    if not had_draft:
        messages.success(
            request,
            _("Version %(n)s is a new draft, copied from the latest version.")
            % {"n": draft.version},
        )
    return redirect("certification:rubric_draft", slug)


@login_required
@require_GET
def rubric_draft(request: HttpRequest, slug: str) -> HttpResponse:
    _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        if not Rubric.objects.filter(slug=slug).exists():
            raise Http404
        return _no_draft(request, "certification:rubric", slug)
    return _rubric_draft_page(request, draft)


def _rubric_draft_page(
    request: HttpRequest,
    draft: Rubric,
    *,
    rule: RuleForm | None = None,
    edited: tuple[int, CriterionForm] | None = None,
    new: CriterionForm | None = None,
    publish_error: str = "",
) -> HttpResponse:
    """The draft with every form on it; a form that failed comes back bound, with its errors
    in place (its criterion opened), and the page answers 400."""
    competencies = list(draft.framework.competencies.order_by("position", "id"))
    rows = []
    for criterion in draft.criteria.all():
        if edited is not None and edited[0] == criterion.pk:
            form, open_ = edited[1], True
        else:
            form = CriterionForm(
                initial=CriterionForm.initial_for(criterion),
                prefix=f"r{criterion.pk}",
                competencies=competencies,
            )
            open_ = False
        rows.append(
            {
                "criterion": criterion,
                "form": form,
                "open": open_,
                "unmapped": not criterion.competencies.all(),
            }
        )
    failed_at = _failed_at(
        ("h-rule", rule),
        (f"r-{edited[0]}" if edited else "", edited),
        ("h-add", new),
        ("h-publish", publish_error),
    )
    return render(
        request,
        "certification/rubrics/draft.html",
        {
            "rubric": draft,
            "published": Rubric.objects.filter(
                slug=draft.slug, status=VersionStatus.PUBLISHED
            ).first(),
            "rule": rule or RuleForm(initial=RuleForm.initial_for(draft), prefix="rule"),
            "rows": rows,
            "new": new or CriterionForm(prefix="new", competencies=competencies),
            "publish_error": publish_error,
            "failed_at": failed_at,
        },
        status=400 if failed_at else 200,
    )


@login_required
@require_POST
def rubric_rule(request: HttpRequest, slug: str) -> HttpResponse:
    _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:rubric", slug)
    form = RuleForm(request.POST, prefix="rule")
    if form.is_valid():
        try:
            services.rubric_rule_set(rubric=draft, **form.cleaned_data)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Pass rule saved."))
            return redirect("certification:rubric_draft", slug)
    return _rubric_draft_page(request, selectors.rubric_draft(slug) or draft, rule=form)


def _criterion_form(request: HttpRequest, draft: Rubric, prefix: str) -> CriterionForm:
    competencies = list(draft.framework.competencies.order_by("position", "id"))
    return CriterionForm(request.POST, prefix=prefix, competencies=competencies)


def _criterion_save(
    draft: Rubric, form: CriterionForm, criterion: Criterion | None = None
) -> Criterion:
    data = form.cleaned_data
    return services.criterion_save(
        rubric=draft,
        criterion=criterion,
        code=data["code"],
        name=data["name"],
        anchors=form.anchors(),
        critical=data["critical"],
        competency_ids=data["competencies"],
    )


@login_required
@require_POST
def criterion_add(request: HttpRequest, slug: str) -> HttpResponse:
    _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:rubric", slug)
    form = _criterion_form(request, draft, "new")
    if form.is_valid():
        try:
            criterion = _criterion_save(draft, form)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("%(code)s added.") % {"code": criterion.code})
            return redirect(_anchor("certification:rubric_draft", slug, f"r-{criterion.pk}"))
    return _rubric_draft_page(request, selectors.rubric_draft(slug) or draft, new=form)


def _criterion_of(draft: Rubric, pk: int) -> Criterion:
    criterion = Criterion.objects.filter(pk=pk, rubric=draft).first()
    if criterion is None:
        raise Http404
    return criterion


@login_required
@require_POST
def criterion_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:rubric", slug)
    criterion = _criterion_of(draft, pk)
    form = _criterion_form(request, draft, f"r{pk}")
    if form.is_valid():
        try:
            _criterion_save(draft, form, criterion)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("%(code)s saved.") % {"code": criterion.code})
            return redirect(_anchor("certification:rubric_draft", slug, f"r-{pk}"))
    # Fetched again: the failed save may have changed the objects in memory, not the rows.
    return _rubric_draft_page(request, selectors.rubric_draft(slug) or draft, edited=(pk, form))


@login_required
@require_POST
def criterion_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:rubric", slug)
    criterion = _criterion_of(draft, pk)
    services.criterion_remove(criterion=criterion)
    messages.success(request, _("%(code)s removed.") % {"code": criterion.code})
    return redirect("certification:rubric_draft", slug)


@login_required
@require_POST
def rubric_publish(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _editor(request)
    draft = selectors.rubric_draft(slug)
    if draft is None:
        return _no_draft(request, "certification:rubric", slug)
    try:
        services.rubric_publish(rubric=draft, actor=viewer)
    except ApplicationError as exc:
        return _rubric_draft_page(request, draft, publish_error=exc.message)
    messages.success(
        request,
        _(
            "Version %(n)s is published. People keep being assessed against the version they "
            "started with."
        )
        % {"n": draft.version},
    )
    return redirect("certification:rubric", slug)
