"""Writes of rater calibration: reference recordings with their master levels (exercises), and
observers' attempts at them, whose agreement figures are computed once, when submitted.

The figures are stored with the attempt rather than recomputed, so a certifying-observer
decision can always be traced to the numbers it was made on. An exercise's answer key is
therefore frozen once someone has attempted it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.certification import rules_calibration, statistics
from cascade.certification.models import (
    LEVELS,
    CalibrationAttempt,
    CalibrationExercise,
    Rubric,
    VersionStatus,
)
from cascade.core.errors import ApplicationError, clean_or_raise
from cascade.core.services import audit_record
from cascade.core.uploads import check_upload
from cascade.people.models import Person

VIDEO_TYPES: Final = {"mp4", "webm"}
"""Recordings are played in the page by an HTML5 ``<video>``: the two formats every browser
plays. Other files go elsewhere and are linked."""

KAPPA_WEIGHTS: Final[Literal["quadratic", "linear"]] = "quadratic"
"""Quadratic weights: a two-level miss costs four times a one-level miss, which is the miss
that changes a pass into a fail; quadratic-weighted kappa approximates the ICC (Fleiss & Cohen
1973), so the 0.61 kappa gate and the 0.75 ICC gate on the reliability page measure the same
thing; and it is the common choice for ordinal rating scales (and statistics' default)."""

KAPPA_GATE: Final = 0.61
EXACT_FALLBACK_GATE: Final = 0.8
"""Used only where kappa is undefined (master levels that never vary, which the services
refuse, but a row changed by hand could have): CLASS certifies at 80% exact agreement."""

RESUBMIT_WINDOW: Final = timedelta(seconds=60)
"""The same levels sent twice within a minute are one attempt sent twice (a double click, a
retried POST), not a retry."""


def _level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in LEVELS else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number in LEVELS else None
    return None


def _clean_levels(codes: list[str], levels: Mapping[str, Any], *, field: str) -> dict[str, int]:
    """Levels 1–4 for exactly ``codes``, in their order; refusals name the criteria
    (``extra["codes"]``) so a form can show each one where it belongs."""
    unknown = sorted(str(code) for code in levels if code not in codes)
    if unknown:
        raise ApplicationError(
            _("These criteria are not in the rubric: %(codes)s.") % {"codes": ", ".join(unknown)},
            code="unknown_criteria",
            extra={"field": field, "codes": unknown},
        )
    missing = [code for code in codes if levels.get(code) in (None, "")]
    if missing:
        raise ApplicationError(
            _("Give every criterion a level (missing: %(codes)s).") % {"codes": ", ".join(missing)},
            code="levels_incomplete",
            extra={"field": field, "codes": missing},
        )
    cleaned = {code: _level(levels[code]) for code in codes}
    wrong = [code for code, level in cleaned.items() if level is None]
    if wrong:
        raise ApplicationError(
            _("Levels go from 1 to 4 (not so for %(codes)s).") % {"codes": ", ".join(wrong)},
            code="levels_range",
            extra={"field": field, "codes": wrong},
        )
    return {code: level for code, level in cleaned.items() if level is not None}


def _rubric_codes(rubric: Rubric) -> list[str]:
    # The rubric's own criteria only: an add-on is a rubric of its own, calibrated on its own.
    return list(rubric.criteria.order_by("position", "id").values_list("code", flat=True))


def _clean_url(url: str) -> str:
    url = url.strip()
    if url and urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ApplicationError(
            _("Give a web link starting with https:// or http://."),
            code="recording_url",
            extra={"field": "recording_url"},
        )
    return url


@transaction.atomic
def calibration_exercise_save(
    *,
    exercise: CalibrationExercise | None,
    rubric: Rubric,
    title: str,
    description: str,
    recording_url: str,
    recording: UploadedFile | None,
    master_levels: dict[str, int],
    actor: Person,
    active: bool = True,
) -> CalibrationExercise:
    """Create or change a reference recording and its master levels (the answer key); the
    key and rubric are frozen once anyone has attempted it, so past figures stay true."""
    if not rules_calibration.can_author(actor):
        raise ApplicationError(
            _("Only program managers and calibrated master trainers write exercises."),
            code="not_allowed",
            status=403,
        )
    # An exercise outlives its rubric version (it still calibrates on it, and must stay
    # editable, if only to close it); a new exercise, or a new rubric, must be published.
    same_rubric = exercise is not None and exercise.rubric_id == rubric.pk
    if rubric.status != VersionStatus.PUBLISHED and not same_rubric:
        raise ApplicationError(
            _("Choose a published rubric."), code="rubric_not_published", extra={"field": "rubric"}
        )
    levels = _clean_levels(_rubric_codes(rubric), master_levels, field="master_levels")
    if not levels:
        raise ApplicationError(_("This rubric has no criteria."), code="rubric_empty")
    if len(set(levels.values())) < 2:
        raise ApplicationError(
            _(
                "The master levels are all %(level)s. A recording whose levels never vary cannot "
                "tell agreement from chance (weighted kappa is undefined): choose one that shows "
                "at least two levels."
            )
            % {"level": next(iter(levels.values()))},
            code="master_levels_constant",
            extra={"field": "master_levels", "codes": list(levels)},
        )
    url = _clean_url(recording_url)
    checked = None
    if recording is not None:
        try:
            checked = check_upload(recording, allowed=set(VIDEO_TYPES))
        except ApplicationError as exc:
            raise ApplicationError(
                exc.message, code=exc.code, extra={"field": "recording"}
            ) from exc

    if exercise is not None:
        # Locked: an attempt submitted meanwhile must see the key it was scored against.
        item = CalibrationExercise.objects.select_for_update().get(pk=exercise.pk)
        key_changed = item.rubric_id != rubric.pk or dict(item.master_levels) != levels
        if key_changed and item.attempts.exists():
            raise ApplicationError(
                _(
                    "Observers have already attempted this exercise, so its rubric and master "
                    "levels can no longer change. Create a new exercise instead."
                ),
                code="key_locked",
                extra={"field": "master_levels"},
            )
    else:
        item = CalibrationExercise(created_by=actor)
    if checked is None and not url and not item.recording:
        raise ApplicationError(
            _("Upload the recording or give a link to it."),
            code="recording_missing",
            extra={"field": "recording"},
        )
    created = item.pk is None
    old_file = item.recording.name if checked is not None and item.recording else ""
    item.rubric = rubric
    item.title = title.strip()
    item.description = description.strip()
    item.recording_url = url
    item.master_levels = levels
    item.active = active
    clean_or_raise(item, exclude=["recording"])
    if checked is not None and recording is not None:
        item.recording.save(checked.storage_name, recording, save=False)
        item.recording_name = checked.original_name
    item.save()
    if old_file:
        storage = item.recording.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    audit_record(
        actor=actor,
        action="certification.calibration.created"
        if created
        else "certification.calibration.changed",
        target=item,
        changes={
            "rubric": rubric.pk,
            "master_levels": levels,
            "active": active,
            "recording": item.recording_name if checked is not None else None,
            "recording_url": url,
        },
    )
    return item


def _figures(
    levels: dict[str, int], master: dict[str, int]
) -> tuple[float, float, float | None, bool]:
    codes = list(master)
    mine, key = [levels[c] for c in codes], [master[c] for c in codes]
    exact = statistics.exact_agreement(mine, key)
    adjacent = statistics.adjacent_agreement(mine, key)
    if len(set(key)) < 2:
        # Kappa is 0/0 here (statistics returns 1.0 or 0.0, both meaningless): judge on
        # exact agreement, as CLASS does.
        return exact, adjacent, None, exact >= EXACT_FALLBACK_GATE
    kappa = statistics.weighted_kappa(mine, key, weights=KAPPA_WEIGHTS)
    if math.isnan(kappa):
        return exact, adjacent, None, False
    return exact, adjacent, kappa, statistics.is_certifying(kappa, gate=KAPPA_GATE)


@transaction.atomic
def calibration_attempt_submit(
    *, exercise: CalibrationExercise, observer: Person, levels: dict[str, int]
) -> CalibrationAttempt:
    """Score a reference recording blind and keep the attempt with its agreement figures
    (exact, adjacent, quadratic-weighted kappa; passed at kappa 0.61); observers may retry,
    and every attempt is kept."""
    if not rules_calibration.can_calibrate(observer):
        raise ApplicationError(
            _("Only trainers, master trainers and program managers calibrate."),
            code="not_allowed",
            status=403,
        )
    # Serialise one observer's submissions so a double-sent form is recognised below.
    Person.objects.select_for_update().filter(pk=observer.pk).first()
    current = CalibrationExercise.objects.filter(pk=exercise.pk).first()
    if current is None or not current.active:
        raise ApplicationError(_("This exercise is closed."), code="exercise_closed", status=404)
    if current.created_by_id == observer.pk:
        raise ApplicationError(
            _("You wrote this exercise's master levels, so it cannot calibrate you."),
            code="own_exercise",
        )
    master = {str(code): int(level) for code, level in dict(current.master_levels).items()}
    cleaned = _clean_levels(list(master), levels, field="levels")
    recent = (
        CalibrationAttempt.objects.filter(
            exercise=current,
            observer_id=observer.pk,
            submitted_at__gte=timezone.now() - RESUBMIT_WINDOW,
        )
        .order_by("-submitted_at", "-id")
        .first()
    )
    if recent is not None and recent.levels == cleaned:
        return recent
    exact, adjacent, kappa, passed = _figures(cleaned, master)
    attempt = CalibrationAttempt(
        exercise=current,
        observer=observer,
        levels=cleaned,
        exact=exact,
        adjacent=adjacent,
        kappa=kappa,
        passed=passed,
    )
    clean_or_raise(attempt)
    attempt.save()
    return attempt
