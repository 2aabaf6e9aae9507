"""Teach-back pages: submit an attempt, the observation page (observers, blind sheets,
moderation, the result), the scoring sheet, the recording, and a candidate's growth.

Who may see what is decided by :mod:`selectors.observations` (``can_view``, ``visible_sheets``);
anyone else gets 404, so nobody learns that an attempt exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cascade.certification import rules
from cascade.certification.forms import apply_error
from cascade.certification.forms_observations import (
    AssignForm,
    NoteForm,
    ResolveForm,
    ScoreForm,
    TeachBackForm,
)
from cascade.certification.models import Observation, ObservationStatus, ObserverRole
from cascade.certification.selectors import observations as selectors
from cascade.certification.services import observations as services
from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.core.uploads import download_response
from cascade.delivery import selectors as delivery_selectors
from cascade.people.models import Person, Role


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _observation(request: HttpRequest, pk: int) -> Observation:
    observation = selectors.observation_detail(pk)
    if observation is None or not selectors.can_view(observation, _viewer(request)):
        raise Http404
    return observation


@login_required
def observation_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(
        request,
        "certification/observations/list.html",
        {
            "queues": selectors.observations_for(viewer),
            "can_manage": rules.can_manage_observations(viewer),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    try:
        rubric = services.published_teach_back_rubric()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("certification:observations")
    criteria = list(rubric.criteria.all())
    form = TeachBackForm(
        request.POST or None,
        request.FILES or None,
        criteria=criteria,
        steps=selectors.teach_back_steps(viewer),
        sessions=delivery_selectors.sessions_staffed(viewer.pk),
        initial={"step": request.GET.get("step", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            observation = services.observation_submit(
                candidate=viewer,
                title=data["title"],
                kind=data["kind"],
                mode=data["mode"],
                session=data["session"],
                course=data["course"],
                step_of=form.step_of(),
                recording=data["recording"],
                recording_url=data["recording_url"] or "",
                self_levels=form.levels(),
                self_notes=data["self_notes"],
                allow_peers=data["allow_peers"],
            )
        except ApplicationError as exc:
            field = {
                "recording_missing": "recording",
                "upload_type": "recording",
                "upload_content": "recording",
                "upload_too_large": "recording",
            }.get(exc.code)
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("Your teach-back is in. Observers will score it."))
            return redirect("certification:observation", observation.pk)
    return render(request, "certification/observations/new.html", {"form": form, "rubric": rubric})


def _criteria_names(observation: Observation) -> dict[str, str]:
    return {c.code: c.name for c in services.rubric_criteria(observation)}


@login_required
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    sheets = selectors.visible_sheets(observation, viewer)
    criteria = services.rubric_criteria(observation)
    mine = selectors.own_sheet(observation, viewer)
    is_candidate = viewer.pk == observation.candidate_id
    can_manage = rules.can_manage_observations(viewer) and not is_candidate
    scoring = observation.status == ObservationStatus.SCORING
    assign_form = None
    if can_manage and scoring:
        people = Person.objects.filter(is_active=True).exclude(pk=observation.candidate_id)
        people = people.filter(
            role_assignments__role__in=[Role.MASTER_TRAINER, Role.TRAINER]
        ).distinct()
        assign_form = AssignForm(people=people.order_by("display_name"))
    decided = observation.status == ObservationStatus.DECIDED
    final = observation.final_levels
    table = [
        {
            "criterion": c,
            "self": observation.self_levels.get(c.code),
            "final": final.get(c.code),
            "sheets": [(str(s.observer), s.levels.get(c.code)) for s in sheets],
            "flagged": c.code in observation.flagged,
            "agreed": c.code in observation.moderated_levels,
        }
        for c in criteria
    ]
    context: dict[str, Any] = {
        "observation": observation,
        "sheets": sheets,
        "table": table,
        "mine": mine,
        "is_candidate": is_candidate,
        "can_manage": can_manage,
        "assign_form": assign_form,
        "can_self_assign": scoring
        and mine is None
        and not is_candidate
        and viewer.has_role(Role.MASTER_TRAINER),
        "can_peer": scoring
        and mine is None
        and not is_candidate
        and observation.allow_peers
        and viewer.has_role(Role.TRAINER),
        "decided": decided,
        "show_result": decided
        and (is_candidate or can_manage or (mine is not None and mine.submitted_at is not None)),
        "strengths": render_markdown(observation.strengths) if decided else "",
        "next_steps": render_markdown(observation.next_steps) if decided else "",
        "in_moderation": observation.status == ObservationStatus.MODERATION,
        "show_table": decided
        or observation.status == ObservationStatus.MODERATION
        or is_candidate
        or any(s.submitted_at for s in sheets),
        "can_moderate": observation.status == ObservationStatus.MODERATION
        and rules.can_manage_observations(viewer)
        and not is_candidate,
        "note_form": NoteForm(),
        "resolve_form": ResolveForm(
            criteria=[c for c in criteria if c.code in observation.flagged]
        ),
        "criteria_names": _criteria_names(observation),
        "can_withdraw": is_candidate
        and scoring
        and not any(s.submitted_at for s in observation.sheets.all()),
    }
    return render(request, "certification/observations/detail.html", context)


@login_required
@require_POST
def observation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    if request.POST.get("self") in ("master", "peer"):
        role = request.POST["self"]
        if role == ObserverRole.MASTER and not viewer.has_role(Role.MASTER_TRAINER):
            raise Http404
        observer = viewer
    else:
        if not rules.can_manage_observations(viewer):
            raise Http404
        form = AssignForm(request.POST, people=Person.objects.filter(is_active=True))
        if not form.is_valid():
            messages.error(request, _("Choose an observer and a role."))
            return redirect("certification:observation", pk)
        observer, role = form.cleaned_data["observer"], form.cleaned_data["role"]
    try:
        services.observer_assign(
            observation=observation, observer=observer, role=role, actor=viewer
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(person)s will observe.") % {"person": observer})
        if observer.pk == viewer.pk:
            return redirect("certification:observation_score", pk)
    return redirect("certification:observation", pk)


@login_required
@require_http_methods(["GET", "POST"])
def observation_score(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    sheet = selectors.own_sheet(observation, viewer)
    if sheet is None:
        raise Http404
    if sheet.submitted_at is not None:
        messages.info(request, _("You have submitted your scores."))
        return redirect("certification:observation", pk)
    criteria = services.rubric_criteria(observation)
    initial: dict[str, Any] = {"comment": sheet.comment}
    for code, level in sheet.levels.items():
        initial[f"level_{code}"] = str(level)
    for code, text in sheet.evidence.items():
        initial[f"evidence_{code}"] = text
    for code, seconds in sheet.timestamps.items():
        initial[f"time_{code}"] = f"{seconds // 60}:{seconds % 60:02d}"
    form = ScoreForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.sheet_save(
                sheet=sheet,
                levels=form.levels(),
                evidence=form.per_criterion("evidence"),
                timestamps=form.per_criterion("time"),
                comment=form.cleaned_data["comment"],
                submit=submit,
            )
        except ApplicationError as exc:
            for code in exc.extra.get("missing", []):
                form.add_error(f"level_{code}", _("Choose a level."))
            if not exc.extra.get("missing"):
                apply_error(form, exc)
        else:
            if submit:
                messages.success(
                    request,
                    _("Your scores are submitted. You can now see the other observers' scores."),
                )
                return redirect("certification:observation", pk)
            messages.success(request, _("Draft saved."))
            return redirect("certification:observation_score", pk)
    return render(
        request,
        "certification/observations/score.html",
        {"observation": observation, "form": form, "sheet": sheet},
    )


@login_required
@require_POST
def observation_note(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    if viewer.pk == observation.candidate_id or observation.status != ObservationStatus.MODERATION:
        raise Http404
    form = NoteForm(request.POST)
    if form.is_valid():
        services.moderation_note_add(
            observation=observation, author=viewer, text=form.cleaned_data["text"]
        )
    else:
        messages.error(request, _("Write something first."))
    return redirect("certification:observation", pk)


@login_required
@require_POST
def observation_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    if not rules.can_manage_observations(viewer) or viewer.pk == observation.candidate_id:
        raise Http404
    criteria = [c for c in services.rubric_criteria(observation) if c.code in observation.flagged]
    form = ResolveForm(request.POST, criteria=criteria)
    if not form.is_valid():
        messages.error(request, _("Give the agreed level for every flagged criterion."))
        return redirect("certification:observation", pk)
    try:
        services.moderation_resolve(
            observation=observation,
            actor=viewer,
            levels=form.levels(),
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Moderated: the result is out."))
    return redirect("certification:observation", pk)


@login_required
@require_POST
def observation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    observation = _observation(request, pk)
    if viewer.pk != observation.candidate_id and not rules.can_manage_observations(viewer):
        raise Http404
    try:
        services.observation_withdraw(observation=observation, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("certification:observation", pk)
    messages.success(request, _("Withdrawn. It does not count as an attempt."))
    return redirect("certification:observations")


@login_required
def observation_recording(request: HttpRequest, pk: int) -> FileResponse:
    observation = _observation(request, pk)
    if not observation.recording:
        raise Http404
    ext = observation.recording.name.rsplit(".", 1)[-1].lower()
    content_type = {
        "mp4": "video/mp4",
        "webm": "video/webm",
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
    }
    try:
        return download_response(
            observation.recording,
            filename=observation.recording_name or f"recording.{ext}",
            content_type=content_type.get(ext, "application/octet-stream"),
        )
    except OSError as exc:  # the record outlived its file
        raise Http404 from exc


@login_required
def growth(request: HttpRequest, person_pk: int | None = None) -> HttpResponse:
    viewer = _viewer(request)
    person = viewer
    if person_pk is not None and person_pk != viewer.pk:
        if not rules.can_manage_observations(viewer):
            raise Http404
        found = Person.objects.filter(pk=person_pk).first()
        if found is None:
            raise Http404
        person = found
    data = selectors.growth(person.pk)
    return render(
        request,
        "certification/observations/growth.html",
        {"person": person, "growth": data, "chart": _chart(data)},
    )


def _chart(data: selectors.Growth) -> dict[str, Any]:
    """Coordinates for a small-multiples SVG: one line per criterion, attempts on x, 1-4 on y."""
    n = len(data.attempts)
    width, height, pad = 160, 64, 8
    panels = []
    for code, name in data.criteria:
        values = data.series.get(code, [])
        points = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x = pad + (i * (width - 2 * pad) / (n - 1) if n > 1 else (width - 2 * pad) / 2)
            y = height - pad - (v - 1) * (height - 2 * pad) / 3
            points.append({"x": round(x, 1), "y": round(y, 1), "v": v})
        panels.append(
            {
                "code": code,
                "name": name,
                "points": points,
                "path": " ".join(f"{p['x']},{p['y']}" for p in points),
                "last": values[-1] if values else None,
                "values": values,
            }
        )
    standard_y = round(height - pad - 2 * (height - 2 * pad) / 3, 1)
    return {"width": width, "height": height, "panels": panels, "standard_y": standard_y}
