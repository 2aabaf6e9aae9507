"""Rater calibration pages: the exercises and your status, scoring a reference recording blind,
the result against the master levels, writing exercises, and a rubric's running reliability.

Who may do what is asked of ``rules_calibration``: people who do not score teach-backs get 404
everywhere (nobody learns what they may not see); trainers get 404 on the overseers' pages; a
master trainer who is not (or no longer) calibrated gets 403 on the authoring pages, which they
can otherwise see exist. GET never changes anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cascade.certification import rules_calibration, statistics
from cascade.certification.forms_calibration import (
    LEVEL_PREFIX,
    MASTER_PREFIX,
    CalibrationAttemptForm,
    CalibrationExerciseForm,
    apply_calibration_error,
)
from cascade.certification.models import CalibrationExercise, Rubric, VersionStatus
from cascade.certification.selectors import calibration as selectors
from cascade.certification.services import calibration as services
from cascade.core.errors import ApplicationError
from cascade.core.uploads import download_response
from cascade.people.models import Person

ATTEMPTS_SHOWN = 50
VIDEO_CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
WINDOWS = (90, 180, 365, 730)

# --- Who is asking ---------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _calibrator(request: HttpRequest) -> Person:
    viewer = _viewer(request)
    if not rules_calibration.can_calibrate(viewer):
        raise Http404
    return viewer


def _overseer(request: HttpRequest) -> Person:
    viewer = _viewer(request)
    if not rules_calibration.can_oversee(viewer):
        raise Http404
    return viewer


def _author(request: HttpRequest) -> Person:
    viewer = _overseer(request)
    if not rules_calibration.can_author(viewer):
        raise PermissionDenied
    return viewer


# --- The list and your status ----------------------------------------------------------------


@login_required
@require_GET
def calibration_list(request: HttpRequest) -> HttpResponse:
    """Open exercises, your status and past attempts; authors also see closed exercises, and
    overseers the rubrics whose reliability they can read."""
    viewer = _calibrator(request)
    can_oversee = rules_calibration.can_oversee(viewer)
    can_author = can_oversee and rules_calibration.can_author(viewer)
    exercises = list(selectors.calibration_exercises(include_inactive=can_author))
    return render(
        request,
        "certification/calibration/list.html",
        {
            "status": selectors.calibration_status(viewer),
            "exercises": [e for e in exercises if e.active],
            "closed": [e for e in exercises if not e.active],
            "attempts": list(selectors.calibration_attempts(viewer)[:ATTEMPTS_SHOWN]),
            "valid_days": selectors.CALIBRATION_VALID_DAYS,
            "can_oversee": can_oversee,
            "can_author": can_author,
            "rubrics": list(selectors.reliability_rubrics()) if can_oversee else [],
        },
    )


# --- Scoring a recording ---------------------------------------------------------------------


def _open_exercise(pk: int) -> CalibrationExercise:
    exercise = selectors.calibration_exercise(pk)
    if exercise is None or not exercise.active:
        raise Http404
    return exercise


@login_required
@require_http_methods(["GET", "POST"])
def calibration_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    """Score the recording blind: the master levels are only shown on the result page, after
    the attempt is kept."""
    viewer = _calibrator(request)
    exercise = _open_exercise(pk)
    criteria = list(exercise.rubric.criteria.all())
    own = exercise.created_by_id == viewer.pk
    data = request.POST if request.method == "POST" else None
    form = CalibrationAttemptForm(data, criteria=criteria)
    if request.method == "POST" and not own and form.is_valid():
        try:
            attempt = services.calibration_attempt_submit(
                exercise=exercise, observer=viewer, levels=form.levels()
            )
        except ApplicationError as exc:
            apply_calibration_error(form, exc, prefix=LEVEL_PREFIX)
        else:
            return redirect("certification:calibration_result", attempt.pk)
    return render(
        request,
        "certification/calibration/attempt.html",
        {
            "exercise": exercise,
            "form": form,
            "rows": form.rows(),
            "own": own,
            "video": _has_video(exercise),
        },
        status=400 if request.method == "POST" else 200,
    )


def _has_video(exercise: CalibrationExercise) -> bool:
    return bool(exercise.recording) and _extension(exercise) in VIDEO_CONTENT_TYPES


def _extension(exercise: CalibrationExercise) -> str:
    name = exercise.recording.name or ""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@login_required
@require_GET
def calibration_recording(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded recording, to those who may score it (authors also while it is closed),
    as a download that is never rendered in our origin."""
    viewer = _calibrator(request)
    exercise = CalibrationExercise.objects.filter(pk=pk).first()
    if exercise is None or not exercise.recording:
        raise Http404
    if not exercise.active and not rules_calibration.can_author(viewer):
        raise Http404
    content_type = VIDEO_CONTENT_TYPES.get(_extension(exercise), "application/octet-stream")
    try:
        return download_response(
            exercise.recording,
            filename=exercise.recording_name or f"recording.{_extension(exercise)}",
            content_type=content_type,
        )
    except OSError as exc:  # the record outlived its file
        raise Http404 from exc


@login_required
@require_GET
def calibration_result(request: HttpRequest, pk: int) -> HttpResponse:
    """An attempt's figures and each criterion's level against the master level."""
    viewer = _calibrator(request)
    attempt = selectors.calibration_attempt(pk)
    if attempt is None or not rules_calibration.can_see_attempt(viewer, attempt):
        raise Http404
    master = attempt.exercise.master_levels
    rows = []
    for criterion in attempt.exercise.rubric.criteria.all():
        mine, key = attempt.levels.get(criterion.code), master.get(criterion.code)
        if mine is None or key is None:
            continue
        rows.append(
            {
                "criterion": criterion,
                "mine": mine,
                "master": key,
                "difference": mine - key,
                "gap": abs(mine - key),
                "mine_anchor": criterion.anchors.get(str(mine), ""),
                "master_anchor": criterion.anchors.get(str(key), ""),
            }
        )
    return render(
        request,
        "certification/calibration/result.html",
        {
            "attempt": attempt,
            "exercise": attempt.exercise,
            "rows": rows,
            "band": statistics.kappa_band(attempt.kappa) if attempt.kappa is not None else None,
            "gate": services.KAPPA_GATE,
            "own": attempt.observer_id == viewer.pk,
            "valid_until": attempt.submitted_at + timedelta(days=selectors.CALIBRATION_VALID_DAYS),
        },
    )


# --- Writing exercises -----------------------------------------------------------------------


def _rubric_asked(request: HttpRequest) -> Rubric | None:
    raw = request.GET.get("rubric")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise Http404
    rubric = Rubric.objects.filter(pk=int(raw), status=VersionStatus.PUBLISHED).first()
    if rubric is None:
        raise Http404
    return rubric


@login_required
@require_http_methods(["GET", "POST"])
def calibration_new(request: HttpRequest) -> HttpResponse:
    """First choose the rubric (a plain list of links), then fill in the exercise."""
    viewer = _author(request)
    rubric = _rubric_asked(request)
    if rubric is None:
        if request.method == "POST":
            raise Http404
        rubrics = Rubric.objects.filter(status=VersionStatus.PUBLISHED).select_related("extends")
        return render(
            request,
            "certification/calibration/choose_rubric.html",
            {"rubrics": rubrics.order_by("name", "slug")},
        )
    return _exercise_page(request, viewer, rubric, None)


@login_required
@require_http_methods(["GET", "POST"])
def calibration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _author(request)
    exercise = selectors.calibration_exercise(pk)
    if exercise is None:
        raise Http404
    return _exercise_page(request, viewer, exercise.rubric, exercise)


def _exercise_page(
    request: HttpRequest,
    viewer: Person,
    rubric: Rubric,
    exercise: CalibrationExercise | None,
) -> HttpResponse:
    criteria = list(rubric.criteria.order_by("position", "id"))
    attempts = exercise.attempts.count() if exercise is not None else 0
    options: dict[str, Any] = {"criteria": criteria, "key_locked": attempts > 0}
    if exercise is not None:
        options["initial"] = CalibrationExerciseForm.initial_for(exercise)
    if request.method == "POST":
        form = CalibrationExerciseForm(request.POST, request.FILES, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.calibration_exercise_save(
                    exercise=exercise,
                    rubric=rubric,
                    title=data["title"],
                    description=data["description"],
                    recording_url=data["recording_url"],
                    recording=data["recording"],
                    master_levels=form.master_levels(),
                    actor=viewer,
                    active=data["active"],
                )
            except ApplicationError as exc:
                apply_calibration_error(form, exc, prefix=MASTER_PREFIX)
            else:
                messages.success(request, _("“%(title)s” is saved.") % {"title": saved.title})
                return redirect("certification:calibration_list")
    else:
        form = CalibrationExerciseForm(**options)
    action = (
        reverse("certification:calibration_edit", args=[exercise.pk])
        if exercise is not None
        else f"{reverse('certification:calibration_new')}?rubric={rubric.pk}"
    )
    return render(
        request,
        "certification/calibration/form.html",
        {
            "form": form,
            "rubric": rubric,
            "exercise": exercise,
            "attempts": attempts,
            "action": action,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Reliability -----------------------------------------------------------------------------


def _window_asked(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    if raw.isdigit() and int(raw) in WINDOWS:
        return int(raw)
    return selectors.RELIABILITY_WINDOW_DAYS


@login_required
@require_GET
def rubric_reliability(request: HttpRequest, pk: int) -> HttpResponse:
    """A rubric version's running ICC over double-scored observations and each observer's
    drift, flagged observers first."""
    _overseer(request)
    rubric = Rubric.objects.filter(pk=pk).exclude(status=VersionStatus.DRAFT).first()
    if rubric is None:
        raise Http404
    window = _window_asked(request)
    return render(
        request,
        "certification/calibration/reliability.html",
        {
            "rubric": rubric,
            "report": selectors.rubric_reliability(rubric, window_days=window),
            "windows": WINDOWS,
            "window": window,
            "icc_gate": 0.75,
        },
    )
