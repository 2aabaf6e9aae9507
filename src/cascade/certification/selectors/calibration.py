"""Reads of rater calibration: who is a certifying observer, each person's calibration status,
the exercises and attempts shown on the pages, and a rubric's running reliability.

Whether someone is a certifying observer is always derived from their attempts (a passed
attempt younger than :data:`CALIBRATION_VALID_DAYS`), never stored, so it cannot go stale. Each
function here does a fixed number of queries whatever the number of attempts, observations or
score sheets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cascade.certification import statistics
from cascade.certification.models import (
    CalibrationAttempt,
    CalibrationExercise,
    Criterion,
    ObservationStatus,
    ObserverRole,
    Rubric,
    ScoreSheet,
    VersionStatus,
)
from cascade.people.models import Person

CALIBRATION_VALID_DAYS = 365
"""A pass certifies for a year (CLASS: observers recertify yearly; the ladder's L4 asks for an
annual rater recalibration)."""

RECALIBRATION_NOTICE_DAYS = 30
"""How long before a calibration lapses the observer is told to recalibrate."""

RELIABILITY_WINDOW_DAYS = 365


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def _in_force(at: datetime) -> Q:
    """Passed attempts that certify at ``at``: submitted in the year before it (a pass from
    exactly 365 days ago has just lapsed), never after it (``at`` may be in the past)."""
    return Q(
        passed=True,
        submitted_at__gt=at - timedelta(days=CALIBRATION_VALID_DAYS),
        submitted_at__lte=at,
    )


# --- Certifying observers ----------------------------------------------------------------------


def is_certifying_observer(person: Person, *, at: datetime | None = None) -> bool:
    """Whether ``person`` holds a passed calibration attempt from the last 365 days (one
    query); only certifying observers' scores may decide a certification."""
    if person.pk is None:
        return False
    return CalibrationAttempt.objects.filter(_in_force(_now(at)), observer_id=person.pk).exists()


def certifying_observer_ids(person_ids: Iterable[int], *, at: datetime | None = None) -> set[int]:
    """The ids among ``person_ids`` of certifying observers, in one query (none when the list
    is empty), so a page or service checking a panel of observers does not query per person."""
    ids = {int(pk) for pk in person_ids}
    if not ids:
        return set()
    return set(
        CalibrationAttempt.objects.filter(_in_force(_now(at)), observer_id__in=ids)
        .values_list("observer_id", flat=True)
        .distinct()
    )


CalibrationState = Literal["certifying", "due", "lapsed", "never"]


@dataclass(frozen=True)
class CalibrationStatus:
    """Where a person stands: ``certifying`` (until ``certifying_until``), ``due`` (still
    certifying but lapsing within 30 days: recalibrate by ``certifying_until``), ``lapsed``
    (their last pass is more than a year old) or ``never`` (no pass yet)."""

    state: CalibrationState
    certifying_until: datetime | None
    last_attempt: CalibrationAttempt | None

    @property
    def is_certifying(self) -> bool:
        return self.state in ("certifying", "due")


def calibration_status(person: Person, *, at: datetime | None = None) -> CalibrationStatus:
    """A person's calibration status at ``at`` (now by default), in two queries."""
    now = _now(at)
    attempts = CalibrationAttempt.objects.filter(observer_id=person.pk, submitted_at__lte=now)
    last_attempt = attempts.select_related("exercise").order_by("-submitted_at", "-id").first()
    last_pass = (
        attempts.filter(passed=True)
        .order_by("-submitted_at", "-id")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if last_pass is None:
        return CalibrationStatus("never", None, last_attempt)
    until = last_pass + timedelta(days=CALIBRATION_VALID_DAYS)
    if until <= now:
        state: CalibrationState = "lapsed"
    elif until - now <= timedelta(days=RECALIBRATION_NOTICE_DAYS):
        state = "due"
    else:
        state = "certifying"
    return CalibrationStatus(state, until, last_attempt)


# --- Exercises and attempts for the pages ------------------------------------------------------

_ORDERED_CRITERIA = Prefetch(
    "rubric__criteria", queryset=Criterion.objects.order_by("position", "id")
)


def calibration_exercises(*, include_inactive: bool = False) -> QuerySet[CalibrationExercise]:
    """Exercises with their rubric, newest first; only those open for calibration unless
    ``include_inactive`` (the authors' list)."""
    exercises = CalibrationExercise.objects.select_related("rubric").order_by("-created_at", "-id")
    return exercises if include_inactive else exercises.filter(active=True)


def calibration_exercise(pk: int) -> CalibrationExercise | None:
    """One exercise with its rubric and the rubric's criteria in order (two queries)."""
    return (
        CalibrationExercise.objects.select_related("rubric")
        .prefetch_related(_ORDERED_CRITERIA)
        .filter(pk=pk)
        .first()
    )


def calibration_attempts(person: Person) -> QuerySet[CalibrationAttempt]:
    """A person's attempts, newest first, with their exercise and its rubric."""
    return (
        CalibrationAttempt.objects.filter(observer_id=person.pk)
        .select_related("exercise__rubric")
        .order_by("-submitted_at", "-id")
    )


def calibration_attempt(pk: int) -> CalibrationAttempt | None:
    """One attempt with its observer, exercise, rubric and the rubric's criteria in order."""
    return (
        CalibrationAttempt.objects.select_related("observer", "exercise__rubric")
        .prefetch_related(
            Prefetch(
                "exercise__rubric__criteria",
                queryset=Criterion.objects.order_by("position", "id"),
            )
        )
        .filter(pk=pk)
        .first()
    )


def reliability_rubrics() -> QuerySet[Rubric]:
    """Rubric versions whose reliability can be read: the published ones, and retired ones
    that observations were scored on (drafts score nothing)."""
    return (
        Rubric.objects.filter(
            Q(status=VersionStatus.PUBLISHED)
            | Q(status=VersionStatus.RETIRED, observations__isnull=False)
        )
        .distinct()
        .order_by("name", "slug", "-version")
    )


# --- Running reliability of a rubric -----------------------------------------------------------


@dataclass(frozen=True)
class ObserverDrift:
    """One observer's lean against the reference over their double-scored items; ``master``
    counts the items judged against another master's sheet rather than the final levels."""

    observer: Person
    items: int
    master: int
    mean_difference: float | None
    direction: str | None
    flagged: bool


@dataclass(frozen=True)
class RubricReliability:
    """ICC(2,1) of two observers on one item, with its 95% CI and Koo & Li bands (of the
    estimate, and of the CI's lower end, the conservative reading), and per-observer drift."""

    rubric: Rubric
    window_days: int
    since: datetime
    observations_scored: int
    observations_double: int
    items: int
    icc: float | None
    ci: tuple[float, float] | None
    band: statistics.IccBand | None
    band_low: statistics.IccBand | None
    drift: list[ObserverDrift]

    @property
    def double_share(self) -> float | None:
        """Share of scored observations that were double-scored (aim: 15–20%, CASTL)."""
        if not self.observations_scored:
            return None
        return self.observations_double / self.observations_scored

    @property
    def flagged(self) -> list[ObserverDrift]:
        return [row for row in self.drift if row.flagged]


def _valid_levels(levels: object, codes: Iterable[str]) -> dict[str, int]:
    """The levels of ``codes`` that were scored (a criterion left as N/A, or a malformed value,
    is simply absent)."""
    if not isinstance(levels, Mapping):
        return {}
    found: dict[str, int] = {}
    for code in codes:
        value = levels.get(code)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
            found[code] = value
    return found


def rubric_reliability(
    rubric: Rubric,
    *,
    window_days: int = RELIABILITY_WINDOW_DAYS,
    at: datetime | None = None,
) -> RubricReliability:
    """Running inter-rater reliability of one rubric version over its double-scored
    observations (two or more sheets submitted in the window), in two queries.

    **ICC matrix.** ICC(2,1) needs a complete items × raters table, but each observation has
    its own observers. So for each double-scored observation the first two submitted sheets
    (by submission time, then id: fixed, and not chosen for agreeing) are rater A and rater B,
    and every criterion both scored is one item (observation × criterion). The raters are
    therefore *positions*, not people: the figure reads as "how well do any two of our
    observers agree on one item", and a person's own lean is measured by the drift table
    instead. A third sheet (often brought in because the first two disagreed) is left out of
    the ICC, so disagreement cases do not weigh twice. Items of one observation share a
    candidate, so the CI, which treats items as independent, is somewhat optimistic. Only the
    rubric's own criteria count (an add-on's criteria are another rubric).

    **Drift reference.** Each observer's levels are compared with another *master* observer's
    sheet on the same observation where there is one (several: their median), else with the
    observation's ``final_levels`` (consolidated and moderated) once decided. Masters are
    preferred because the final levels include the observer's own level and so understate
    their lean (statistics.drift). The window applies to the sheets' submission times;
    withdrawn observations are left out.
    """
    now = _now(at)
    since = now - timedelta(days=window_days)
    codes = list(
        Criterion.objects.filter(rubric=rubric)
        .order_by("position", "id")
        .values_list("code", flat=True)
    )
    sheets = (
        ScoreSheet.objects.filter(
            observation__rubric=rubric,
            submitted_at__isnull=False,
            submitted_at__gt=since,
            submitted_at__lte=now,
        )
        .exclude(observation__status=ObservationStatus.WITHDRAWN)
        .select_related("observation", "observer")
        .only(
            "id",
            "observation_id",
            "observer_id",
            "role",
            "levels",
            "submitted_at",
            "observation__id",
            "observation__combined_levels",
            "observation__moderated_levels",
            "observer__id",
            "observer__display_name",
            "observer__email",
        )
        .order_by("observation_id", "submitted_at", "id")
    )
    by_observation: dict[int, list[ScoreSheet]] = {}
    for sheet in sheets:
        by_observation.setdefault(sheet.observation_id, []).append(sheet)
    double = {pk: group for pk, group in by_observation.items() if len(group) >= 2}

    matrix: list[list[float]] = []
    for group in double.values():
        a, b = _valid_levels(group[0].levels, codes), _valid_levels(group[1].levels, codes)
        matrix.extend([a[code], b[code]] for code in codes if code in a and code in b)
    icc: float | None = None
    ci: tuple[float, float] | None = None
    if len(matrix) >= 2:
        icc = statistics.icc_2_1(matrix)
        ci = statistics.icc_2_1_ci(matrix)

    return RubricReliability(
        rubric=rubric,
        window_days=window_days,
        since=since,
        observations_scored=len(by_observation),
        observations_double=len(double),
        items=len(matrix),
        icc=icc,
        ci=ci,
        band=statistics.icc_band(icc) if icc is not None else None,
        band_low=statistics.icc_band(ci[0]) if ci is not None else None,
        drift=_drift(double, codes),
    )


def _drift(double: dict[int, list[ScoreSheet]], codes: list[str]) -> list[ObserverDrift]:
    people: dict[int, Person] = {}
    scores: dict[int, dict[tuple[int, str], int]] = {}
    references: dict[int, dict[tuple[int, str], int]] = {}
    against_master: dict[int, int] = {}
    for observation_id, group in double.items():
        levels = {sheet.pk: _valid_levels(sheet.levels, codes) for sheet in group}
        final = _valid_levels(group[0].observation.final_levels, codes)
        for sheet in group:
            others = {
                other.pk: levels[other.pk]
                for other in group
                if other.role == ObserverRole.MASTER and other.observer_id != sheet.observer_id
            }
            reference = statistics.combine_scores(others) if others else final
            mine = levels[sheet.pk]
            shared = [code for code in codes if code in mine and code in reference]
            if not shared:
                continue
            people[sheet.observer_id] = sheet.observer
            own = scores.setdefault(sheet.observer_id, {})
            refs = references.setdefault(sheet.observer_id, {})
            for code in shared:
                own[(observation_id, code)] = mine[code]
                refs[(observation_id, code)] = reference[code]
            if others:
                against_master[sheet.observer_id] = against_master.get(sheet.observer_id, 0) + len(
                    shared
                )
    rows = []
    for observer_id, own in scores.items():
        # One call per observer: each has their own reference (never their own sheet).
        result = statistics.drift({observer_id: own}, references[observer_id])[observer_id]
        rows.append(
            ObserverDrift(
                observer=people[observer_id],
                items=result.items,
                master=against_master.get(observer_id, 0),
                mean_difference=result.mean_difference,
                direction=result.direction,
                flagged=result.flagged,
            )
        )
    rows.sort(
        key=lambda r: (
            not r.flagged,
            -abs(r.mean_difference or 0.0),
            r.observer.display_name,
            r.observer.pk,
        )
    )
    return rows
