"""Rater calibration services and selectors: writing exercises, scoring them (figures checked
against scikit-learn), the 0.61 gate, the yearly recalibration, and a rubric's running
reliability (ICC over double-scored observations, drift) with its query budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.metrics import cohen_kappa_score

from cascade.certification import services, statistics
from cascade.certification.models import (
    CalibrationAttempt,
    CalibrationExercise,
    Observation,
    ObservationStatus,
    ObserverRole,
    Rubric,
    ScoreSheet,
)
from cascade.certification.selectors.calibration import (
    CALIBRATION_VALID_DAYS,
    calibration_status,
    certifying_observer_ids,
    is_certifying_observer,
    rubric_reliability,
)
from cascade.certification.services.calibration import (
    calibration_attempt_submit,
    calibration_exercise_save,
)
from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry
from cascade.people.models import Role

pytestmark = pytest.mark.django_db

CODES = [f"R{i}" for i in range(1, 11)]
MASTER = dict(zip(CODES, [3, 2, 3, 4, 2, 3, 1, 3, 4, 2], strict=True))
# 7 of 10 exact, all within one level.
KNOWN = dict(zip(CODES, [3, 2, 3, 3, 2, 3, 2, 3, 4, 3], strict=True))
# The nearest quadratic kappas either side of 0.61 against MASTER (0.61 itself cannot be
# reached with ten items: it would need 39 to divide the observed disagreement).
JUST_BELOW = dict(zip(CODES, [1, 1, 1, 4, 1, 3, 1, 4, 4, 2], strict=True))  # 86/141
JUST_ABOVE = dict(zip(CODES, [2, 2, 2, 4, 3, 3, 2, 4, 4, 3], strict=True))  # 47/77
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 64
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def rubric(program_manager: Any) -> Rubric:
    _framework, teach_back, _virtual = services.defaults_install(actor=program_manager)
    return teach_back


@pytest.fixture
def exercise(rubric: Rubric, program_manager: Any) -> CalibrationExercise:
    return calibration_exercise_save(
        exercise=None,
        rubric=rubric,
        title="Teach-back on feedback",
        description="Twenty minutes, a group of six.",
        recording_url="https://video.example.org/feedback",
        recording=None,
        master_levels=dict(MASTER),
        actor=program_manager,
    )


def _values(levels: dict[str, int]) -> list[int]:
    return [levels[code] for code in CODES]


def _state() -> list[Any]:
    return [
        sorted(
            CalibrationExercise.objects.values_list(
                "id", "rubric_id", "title", "master_levels", "active", "recording"
            )
        ),
        sorted(CalibrationAttempt.objects.values_list("id", "observer_id", "levels", "passed")),
    ]


# --- Writing exercises -------------------------------------------------------------------------


def test_a_program_manager_creates_an_exercise_and_it_is_audited(exercise, program_manager):
    assert exercise.master_levels == MASTER
    assert exercise.created_by == program_manager
    assert exercise.active is True
    entry = AuditEntry.objects.get(action="certification.calibration.created")
    assert entry.actor == program_manager
    assert entry.target_id == str(exercise.pk)
    assert entry.changes["master_levels"] == MASTER


def test_an_uploaded_video_is_stored_under_a_random_name(rubric, program_manager):
    upload = SimpleUploadedFile("session one.mp4", MP4, content_type="video/mp4")

    saved = calibration_exercise_save(
        exercise=None,
        rubric=rubric,
        title="Uploaded",
        description="",
        recording_url="",
        recording=upload,
        master_levels=dict(MASTER),
        actor=program_manager,
    )

    assert saved.recording_name == "session one.mp4"
    assert saved.recording.name.startswith("certification/calibration/")
    assert saved.recording.name.endswith(".mp4")
    assert "session" not in saved.recording.name


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("slides.pdf", b"%PDF-1.4 hello", "upload_type"),
        ("fake.mp4", b"<html>not a video</html>", "upload_content"),
        ("empty.webm", b"", "upload_empty"),
    ],
)
def test_a_recording_that_is_not_an_mp4_or_webm_video_is_refused(
    rubric, program_manager, name, content, code
):
    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(
            exercise=None,
            rubric=rubric,
            title="Bad file",
            description="",
            recording_url="",
            recording=SimpleUploadedFile(name, content),
            master_levels=dict(MASTER),
            actor=program_manager,
        )

    assert error.value.code == code
    assert error.value.extra["field"] == "recording"
    assert not CalibrationExercise.objects.exists()


@pytest.mark.parametrize(
    ("levels", "code", "codes"),
    [
        ({**MASTER, "R10": None}, "levels_incomplete", ["R10"]),
        ({k: v for k, v in MASTER.items() if k != "R3"}, "levels_incomplete", ["R3"]),
        ({**MASTER, "R4": 5}, "levels_range", ["R4"]),
        ({**MASTER, "R4": 0, "R5": True}, "levels_range", ["R4", "R5"]),
        ({**MASTER, "V1": 3}, "unknown_criteria", ["V1"]),
        (dict.fromkeys(CODES, 3), "master_levels_constant", CODES),
    ],
)
def test_master_levels_must_cover_every_criterion_from_1_to_4_and_vary(
    rubric, program_manager, levels, code, codes
):
    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(
            exercise=None,
            rubric=rubric,
            title="Key",
            description="",
            recording_url="https://video.example.org/x",
            recording=None,
            master_levels=levels,
            actor=program_manager,
        )

    assert error.value.code == code
    assert error.value.extra["codes"] == codes
    assert not CalibrationExercise.objects.exists()


def test_an_exercise_needs_a_recording_and_a_web_link(rubric, program_manager):
    common: dict[str, Any] = {
        "exercise": None,
        "rubric": rubric,
        "title": "No video",
        "description": "",
        "recording": None,
        "master_levels": dict(MASTER),
        "actor": program_manager,
    }
    with pytest.raises(ApplicationError) as missing:
        calibration_exercise_save(recording_url="", **common)
    with pytest.raises(ApplicationError) as script:
        calibration_exercise_save(recording_url="javascript:alert(1)", **common)

    assert missing.value.code == "recording_missing"
    assert script.value.code == "recording_url"
    assert not CalibrationExercise.objects.exists()


def test_only_published_rubrics_take_exercises(rubric, program_manager):
    draft = services.rubric_draft(slug=rubric.slug, actor=program_manager)

    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(
            exercise=None,
            rubric=draft,
            title="Draft",
            description="",
            recording_url="https://video.example.org/x",
            recording=None,
            master_levels=dict(MASTER),
            actor=program_manager,
        )

    assert error.value.code == "rubric_not_published"


def test_an_exercise_on_a_retired_rubric_version_can_still_be_closed(
    exercise, rubric, program_manager
):
    draft = services.rubric_draft(slug=rubric.slug, actor=program_manager)
    services.rubric_publish(rubric=draft, actor=program_manager)
    rubric.refresh_from_db()
    assert rubric.status == "retired"

    closed = calibration_exercise_save(
        exercise=exercise,
        rubric=rubric,
        title=exercise.title,
        description=exercise.description,
        recording_url=exercise.recording_url,
        recording=None,
        master_levels=dict(MASTER),
        actor=program_manager,
        active=False,
    )

    assert (closed.rubric, closed.active) == (rubric, False)


def test_master_trainers_write_exercises_only_while_they_are_certifying_observers(
    exercise, rubric, make_person
):
    master = make_person(Role.MASTER_TRAINER)
    arguments: dict[str, Any] = {
        "exercise": None,
        "rubric": rubric,
        "title": "By a master",
        "description": "",
        "recording_url": "https://video.example.org/m",
        "recording": None,
        "master_levels": dict(MASTER),
        "actor": master,
    }
    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(**arguments)
    assert error.value.code == "not_allowed"
    assert CalibrationExercise.objects.count() == 1

    calibration_attempt_submit(exercise=exercise, observer=master, levels=dict(MASTER))
    created = calibration_exercise_save(**arguments)

    assert created.created_by == master


@pytest.mark.parametrize("role", [Role.TRAINER, Role.LEARNER, Role.MANAGER])
def test_trainers_and_others_never_write_exercises(rubric, make_person, role):
    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(
            exercise=None,
            rubric=rubric,
            title="Nope",
            description="",
            recording_url="https://video.example.org/x",
            recording=None,
            master_levels=dict(MASTER),
            actor=make_person(role),
        )

    assert error.value.code == "not_allowed"
    assert not CalibrationExercise.objects.exists()


def test_the_key_is_frozen_once_attempted_but_the_rest_can_change(
    exercise, rubric, program_manager, make_person
):
    calibration_attempt_submit(
        exercise=exercise, observer=make_person(Role.TRAINER), levels=dict(KNOWN)
    )
    before = _state()

    with pytest.raises(ApplicationError) as error:
        calibration_exercise_save(
            exercise=exercise,
            rubric=rubric,
            title=exercise.title,
            description="",
            recording_url=exercise.recording_url,
            recording=None,
            master_levels={**MASTER, "R1": 4},
            actor=program_manager,
        )
    assert error.value.code == "key_locked"
    assert _state() == before

    changed = calibration_exercise_save(
        exercise=exercise,
        rubric=rubric,
        title="Renamed",
        description="",
        recording_url=exercise.recording_url,
        recording=None,
        master_levels=dict(MASTER),
        actor=program_manager,
        active=False,
    )
    assert (changed.title, changed.active, changed.master_levels) == ("Renamed", False, MASTER)
    assert AuditEntry.objects.filter(action="certification.calibration.changed").count() == 1


# --- Attempts ----------------------------------------------------------------------------------


def test_an_attempt_keeps_exact_figures_that_match_scikit_learn(exercise, make_person):
    trainer = make_person(Role.TRAINER)

    attempt = calibration_attempt_submit(exercise=exercise, observer=trainer, levels=dict(KNOWN))

    expected = cohen_kappa_score(_values(KNOWN), _values(MASTER), weights="quadratic")
    assert attempt.exact == 0.7
    assert attempt.adjacent == 1.0
    assert attempt.kappa == pytest.approx(expected, abs=1e-12)
    # By hand: 3 one-level misses (observed 3); chance-expected Σ n_i·m_j·(i-j)² = 118 from
    # the observer's counts {2: 3, 3: 6, 4: 1} and the master's {1: 1, 2: 3, 3: 4, 4: 2}:
    # 1 - 10·3/118 = 44/59.
    assert attempt.kappa == pytest.approx(44 / 59, abs=1e-12)
    assert attempt.passed is True
    assert attempt.levels == KNOWN
    assert statistics.kappa_band(attempt.kappa) == statistics.KappaBand.SUBSTANTIAL


@pytest.mark.parametrize(
    ("levels", "kappa", "passed"),
    [(JUST_BELOW, 86 / 141, False), (JUST_ABOVE, 47 / 77, True)],
)
def test_the_gate_is_a_weighted_kappa_of_0_61(exercise, make_person, levels, kappa, passed):
    attempt = calibration_attempt_submit(
        exercise=exercise, observer=make_person(Role.TRAINER), levels=dict(levels)
    )

    assert attempt.kappa == pytest.approx(kappa, abs=1e-12)
    assert attempt.kappa == pytest.approx(
        cohen_kappa_score(_values(levels), _values(MASTER), weights="quadratic"), abs=1e-12
    )
    assert attempt.passed is passed


@pytest.mark.parametrize(
    ("levels", "code"),
    [
        ({**KNOWN, "R7": None}, "levels_incomplete"),
        ({**KNOWN, "R7": 7}, "levels_range"),
        ({**KNOWN, "X1": 2}, "unknown_criteria"),
    ],
)
def test_every_criterion_needs_a_level_from_1_to_4(exercise, make_person, levels, code):
    with pytest.raises(ApplicationError) as error:
        calibration_attempt_submit(
            exercise=exercise, observer=make_person(Role.TRAINER), levels=levels
        )

    assert error.value.code == code
    assert not CalibrationAttempt.objects.exists()


def test_observers_may_retry_and_every_attempt_is_kept(exercise, make_person):
    trainer = make_person(Role.TRAINER)
    with time_machine.travel(T0, tick=False):
        first = calibration_attempt_submit(
            exercise=exercise, observer=trainer, levels=dict(JUST_BELOW)
        )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        second = calibration_attempt_submit(
            exercise=exercise, observer=trainer, levels=dict(JUST_BELOW)
        )
        third = calibration_attempt_submit(
            exercise=exercise, observer=trainer, levels=dict(JUST_ABOVE)
        )

    assert [first.passed, second.passed, third.passed] == [False, False, True]
    assert CalibrationAttempt.objects.filter(observer=trainer).count() == 3


def test_the_same_levels_sent_twice_at_once_make_one_attempt(exercise, make_person):
    trainer = make_person(Role.TRAINER)
    with time_machine.travel(T0, tick=False):
        first = calibration_attempt_submit(exercise=exercise, observer=trainer, levels=dict(KNOWN))
        again = calibration_attempt_submit(exercise=exercise, observer=trainer, levels=dict(KNOWN))

    assert again.pk == first.pk
    assert CalibrationAttempt.objects.count() == 1


def test_closed_and_own_exercises_cannot_be_attempted(exercise, program_manager, make_person):
    with pytest.raises(ApplicationError) as own:
        calibration_attempt_submit(exercise=exercise, observer=program_manager, levels=dict(KNOWN))
    CalibrationExercise.objects.filter(pk=exercise.pk).update(active=False)
    with pytest.raises(ApplicationError) as closed:
        calibration_attempt_submit(
            exercise=exercise, observer=make_person(Role.TRAINER), levels=dict(KNOWN)
        )

    assert own.value.code == "own_exercise"
    assert closed.value.code == "exercise_closed"
    assert not CalibrationAttempt.objects.exists()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MANAGER, None])
def test_people_who_do_not_observe_cannot_calibrate(exercise, make_person, role):
    person = make_person(*([role] if role else []))

    with pytest.raises(ApplicationError) as error:
        calibration_attempt_submit(exercise=exercise, observer=person, levels=dict(KNOWN))

    assert error.value.code == "not_allowed"
    assert not CalibrationAttempt.objects.exists()


def test_a_key_that_never_varies_is_judged_on_exact_agreement(rubric, make_person):
    # The services refuse such a key; a row changed by hand is still judged sensibly.
    flat = CalibrationExercise.objects.create(
        rubric=rubric, title="Flat", master_levels=dict.fromkeys(CODES, 3)
    )
    eight = {**dict.fromkeys(CODES, 3), "R1": 2, "R2": 4}
    seven = {**eight, "R3": 4}

    passed = calibration_attempt_submit(
        exercise=flat, observer=make_person(Role.TRAINER), levels=eight
    )
    failed = calibration_attempt_submit(
        exercise=flat, observer=make_person(Role.TRAINER), levels=seven
    )

    assert (passed.kappa, passed.exact, passed.passed) == (None, 0.8, True)
    assert (failed.kappa, failed.exact, failed.passed) == (None, 0.7, False)


# --- Certifying observers and recalibration ----------------------------------------------------


def test_a_pass_certifies_for_365_days_then_the_observer_must_recalibrate(exercise, make_person):
    observer, other = make_person(Role.TRAINER), make_person(Role.MASTER_TRAINER)
    with time_machine.travel(T0, tick=False):
        calibration_attempt_submit(exercise=exercise, observer=observer, levels=dict(KNOWN))
        calibration_attempt_submit(exercise=exercise, observer=other, levels=dict(JUST_BELOW))
    until = T0 + timedelta(days=CALIBRATION_VALID_DAYS)

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        status = calibration_status(observer)
        assert (status.state, status.certifying_until) == ("certifying", until)
        assert is_certifying_observer(observer) is True
        assert is_certifying_observer(other) is False
    with time_machine.travel(until - timedelta(days=30), tick=False):
        assert calibration_status(observer).state == "due"
    with time_machine.travel(until - timedelta(seconds=1), tick=False):
        assert is_certifying_observer(observer) is True
        assert certifying_observer_ids([observer.pk, other.pk]) == {observer.pk}
    with time_machine.travel(until, tick=False):
        status = calibration_status(observer)
        assert (status.state, status.certifying_until) == ("lapsed", until)
        assert is_certifying_observer(observer) is False
        assert certifying_observer_ids([observer.pk, other.pk]) == set()
    assert calibration_status(other, at=T0 + timedelta(days=1)).state == "never"
    # Asking about a date before the pass: it did not certify yet.
    assert is_certifying_observer(observer, at=T0 - timedelta(days=1)) is False

    with time_machine.travel(until + timedelta(days=10), tick=False):
        calibration_attempt_submit(exercise=exercise, observer=observer, levels=dict(KNOWN))
        renewed = calibration_status(observer)
    assert renewed.state == "certifying"
    assert renewed.certifying_until == until + timedelta(days=10 + CALIBRATION_VALID_DAYS)


def test_certifying_observer_ids_is_one_query(exercise, make_person, django_assert_num_queries):
    people = [make_person(Role.TRAINER) for _ in range(5)]
    for person in people[:3]:
        calibration_attempt_submit(exercise=exercise, observer=person, levels=dict(KNOWN))

    with django_assert_num_queries(1):
        ids = certifying_observer_ids(p.pk for p in people)
    with django_assert_num_queries(0):
        assert certifying_observer_ids([]) == set()

    assert ids == {p.pk for p in people[:3]}


# --- Running reliability -----------------------------------------------------------------------


def _observation(rubric: Rubric, candidate: Any, **fields: Any) -> Observation:
    return Observation.objects.create(
        candidate=candidate, title="Teach-back", rubric=rubric, **fields
    )


def _sheet(
    observation: Observation,
    observer: Any,
    levels: dict[str, int],
    *,
    at: datetime,
    role: str = ObserverRole.PEER,
) -> ScoreSheet:
    return ScoreSheet.objects.create(
        observation=observation, observer=observer, role=role, levels=levels, submitted_at=at
    )


def _varied(seed: int) -> dict[str, int]:
    return {code: 1 + (seed + i * 3 + seed * i) % 4 for i, code in enumerate(CODES)}


def _build_double_scored(rubric: Rubric, make_person: Any, count: int) -> list[list[int]]:
    """``count`` double-scored observations with their two first sheets by different people,
    plus distractors; returns the items × raters matrix the selector should use."""
    candidate = make_person(Role.TRAINER)
    observers = [make_person(Role.TRAINER) for _ in range(4)]
    matrix: list[list[int]] = []
    for n in range(count):
        observation = _observation(rubric, candidate)
        a = _varied(n)
        b = {
            code: max(1, min(4, level + (1 if (n + i) % 3 == 0 else 0)))
            for i, (code, level) in enumerate(a.items())
        }
        if n % 2:
            del b["R5"]  # left as N/A: not an item
        first, second = observers[n % 4], observers[(n + 1) % 4]
        _sheet(observation, second, b, at=T0 + timedelta(hours=n, minutes=30))
        _sheet(observation, first, a, at=T0 + timedelta(hours=n))
        # A third sheet comes later and stays out of the ICC.
        _sheet(
            observation,
            observers[(n + 2) % 4],
            dict.fromkeys(CODES, 1),
            at=T0 + timedelta(hours=n, minutes=45),
        )
        matrix.extend([a[code], b[code]] for code in CODES if code in b)
    # Distractors: single-scored, unsubmitted, withdrawn, out of the window.
    single = _observation(rubric, candidate)
    _sheet(single, observers[0], _varied(1), at=T0)
    unsubmitted = _observation(rubric, candidate)
    _sheet(unsubmitted, observers[0], _varied(2), at=T0)
    ScoreSheet.objects.create(observation=unsubmitted, observer=observers[1], levels=_varied(3))
    withdrawn = _observation(rubric, candidate, status=ObservationStatus.WITHDRAWN)
    _sheet(withdrawn, observers[0], _varied(4), at=T0)
    _sheet(withdrawn, observers[1], dict.fromkeys(CODES, 4), at=T0)
    old = _observation(rubric, candidate)
    _sheet(old, observers[0], _varied(5), at=T0 - timedelta(days=400))
    _sheet(old, observers[1], dict.fromkeys(CODES, 4), at=T0 - timedelta(days=400))
    return matrix


def test_the_icc_is_taken_over_the_first_two_sheets_of_double_scored_observations(
    rubric, make_person
):
    matrix = _build_double_scored(rubric, make_person, 6)

    report = rubric_reliability(rubric, at=T0 + timedelta(days=1))

    assert report.observations_double == 6
    assert report.observations_scored == 8  # + the single-scored and the half-submitted one
    assert report.items == 6 * 10 - 3 == len(matrix)
    assert report.icc == statistics.icc_2_1(matrix)
    assert report.ci == statistics.icc_2_1_ci(matrix)
    assert report.band == statistics.icc_band(statistics.icc_2_1(matrix))
    assert report.band_low == statistics.icc_band(statistics.icc_2_1_ci(matrix)[0])
    assert report.double_share == 6 / 8


def test_no_icc_without_double_scored_items(rubric, make_person):
    observation = _observation(rubric, make_person(Role.TRAINER))
    _sheet(observation, make_person(Role.TRAINER), _varied(1), at=T0)

    report = rubric_reliability(rubric, at=T0 + timedelta(days=1))

    assert (report.icc, report.ci, report.band, report.items) == (None, None, None, 0)
    assert report.observations_double == 0
    assert report.drift == []


def test_an_observer_who_leans_away_from_the_master_is_flagged(rubric, make_person):
    candidate = make_person(Role.TRAINER)
    master = make_person(Role.MASTER_TRAINER, display_name="Mia Master")
    lenient = make_person(Role.TRAINER, display_name="Len Lenient")
    steady = make_person(Role.TRAINER, display_name="Sam Steady")
    reference = dict(zip(CODES, [2, 2, 3, 3, 2, 1, 2, 3, 1, 2], strict=True))
    for n in range(2):
        observation = _observation(rubric, candidate)
        _sheet(observation, master, reference, at=T0 + timedelta(hours=n), role=ObserverRole.MASTER)
        _sheet(
            observation,
            lenient,
            {c: v + 1 for c, v in reference.items()},
            at=T0 + timedelta(hours=n, minutes=1),
        )
        _sheet(observation, steady, dict(reference), at=T0 + timedelta(hours=n, minutes=2))
    # A decided observation without a master: judged against its final levels.
    decided = _observation(
        rubric,
        candidate,
        status=ObservationStatus.DECIDED,
        combined_levels=dict(reference),
        moderated_levels={"R1": 3},
    )
    _sheet(decided, steady, {**reference, "R1": 3}, at=T0)
    _sheet(decided, lenient, {c: v + 1 for c, v in reference.items()}, at=T0)

    report = rubric_reliability(rubric, at=T0 + timedelta(days=1))

    rows = {row.observer.display_name: row for row in report.drift}
    assert [row.observer.display_name for row in report.flagged] == ["Len Lenient"]
    assert report.drift[0].observer == lenient
    len_row = rows["Len Lenient"]
    # 20 items against the master at +1, 10 against the final levels (R1 moderated to 3: 0).
    assert (len_row.items, len_row.master) == (30, 20)
    assert len_row.mean_difference == pytest.approx(29 / 30)
    assert (len_row.direction, len_row.flagged) == ("lenient", True)
    sam = rows["Sam Steady"]
    assert (sam.items, sam.master, sam.mean_difference, sam.flagged) == (30, 20, 0.0, False)
    # The master is compared with the final levels where there is no other master; here
    # there is none on the first two observations, so only through nothing: not listed.
    assert "Mia Master" not in rows


def test_reliability_does_a_fixed_number_of_queries(
    rubric, make_person, django_assert_max_num_queries
):
    _build_double_scored(rubric, make_person, 2)
    with django_assert_max_num_queries(2):
        small = rubric_reliability(rubric, at=T0 + timedelta(days=1))
        _ = [row.observer.display_name for row in small.drift]

    _build_double_scored(rubric, make_person, 12)
    with django_assert_max_num_queries(2):
        large = rubric_reliability(rubric, at=T0 + timedelta(days=1))
        _ = [row.observer.display_name for row in large.drift]

    assert large.observations_double == 14
