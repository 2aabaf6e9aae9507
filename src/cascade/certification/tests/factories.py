"""Builders for certification tests: calibrated observers, submitted teach-backs, scores."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cascade.certification import services
from cascade.certification.models import (
    CalibrationAttempt,
    CalibrationExercise,
    Observation,
    Rubric,
    ScoreSheet,
)
from cascade.certification.services import observations as obs_services
from cascade.people.models import Person, Role
from cascade.people.tests.factories import PersonFactory

CODES = [f"R{n}" for n in range(1, 11)]


def teach_back_rubric() -> Rubric:
    _framework, rubric, _virtual = services.defaults_install()
    return rubric


def calibrate(person: Person, *, at: Any = None) -> CalibrationAttempt:
    """Give ``person`` a passed calibration attempt (a certifying observer for a year)."""
    rubric = teach_back_rubric()
    exercise = CalibrationExercise.objects.filter(rubric=rubric).first()
    if exercise is None:
        exercise = CalibrationExercise.objects.create(
            rubric=rubric,
            title="Reference teach-back",
            master_levels={c: 3 if i % 2 else 2 for i, c in enumerate(CODES)},
        )
    attempt = CalibrationAttempt.objects.create(
        exercise=exercise,
        observer=person,
        levels=exercise.master_levels,
        exact=1.0,
        adjacent=1.0,
        kappa=1.0,
        passed=True,
    )
    if at is not None:
        CalibrationAttempt.objects.filter(pk=attempt.pk).update(submitted_at=at)
    return attempt


def master(*, calibrated: bool = True, **kw: Any) -> Person:
    person = PersonFactory(roles=[Role.MASTER_TRAINER], **kw)
    if calibrated:
        calibrate(person)
    return person


def levels(value: int = 3, **overrides: int) -> dict[str, int]:
    scores = dict.fromkeys(CODES, value)
    scores.update(overrides)
    return scores


def submit_teach_back(candidate: Person, course: Any, **kw: Any) -> Observation:
    teach_back_rubric()
    fields: dict[str, Any] = {
        "title": "Lifting with a hoist",
        "recording_url": "https://video.example.org/teach-back-1",
        "course": course,
    }
    fields.update(kw)
    return obs_services.observation_submit(candidate=candidate, **fields)


def score(
    observation: Observation, observer: Person, scores: dict[str, int], **kw: Any
) -> ScoreSheet:
    """Assign ``observer`` (as a master, unless told) and submit their scores."""
    role = kw.pop("role", "master")
    sheet = obs_services.observer_assign(
        observation=observation, observer=observer, role=role, actor=observer
    )
    return obs_services.sheet_save(sheet=sheet, levels=scores, submit=True, **kw)


def now() -> Any:
    return timezone.now()
