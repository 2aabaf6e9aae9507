"""Rater calibration pages: each role on each page (and the refusals, which change nothing), a
blind attempt from the recording to the result, form errors shown in place, the served
recording, and the query budget of the list and reliability pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from cascade.certification import services
from cascade.certification.models import (
    CalibrationAttempt,
    CalibrationExercise,
    Observation,
    ObserverRole,
    Rubric,
    ScoreSheet,
)
from cascade.certification.services.calibration import (
    calibration_attempt_submit,
    calibration_exercise_save,
)
from cascade.people.models import Role

pytestmark = pytest.mark.django_db

CODES = [f"R{i}" for i in range(1, 11)]
MASTER = dict(zip(CODES, [3, 2, 3, 4, 2, 3, 1, 3, 4, 2], strict=True))
KNOWN = dict(zip(CODES, [3, 2, 3, 3, 2, 3, 2, 3, 4, 3], strict=True))
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 64
HOSTILE = "<svg onload=alert(1)> < > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
OUTSIDERS = [Role.LEARNER, Role.MANAGER, None]


@pytest.fixture
def rubric(program_manager: Any) -> Rubric:
    return services.defaults_install(actor=program_manager)[1]


@pytest.fixture
def exercise(rubric: Rubric, program_manager: Any) -> CalibrationExercise:
    return calibration_exercise_save(
        exercise=None,
        rubric=rubric,
        title="Teach-back on feedback",
        description="Twenty minutes, a group of six.",
        recording_url="",
        recording=SimpleUploadedFile("feedback.mp4", MP4),
        master_levels=dict(MASTER),
        actor=program_manager,
    )


@pytest.fixture
def calibrated_master(make_person: Any, exercise: CalibrationExercise) -> Any:
    master = make_person(Role.MASTER_TRAINER, display_name="Mo Master")
    calibration_attempt_submit(exercise=exercise, observer=master, levels=dict(MASTER))
    return master


def _person(make_person: Any, role: str | None) -> Any:
    return make_person(*([role] if role else []))


def _state() -> list[Any]:
    return [
        sorted(
            CalibrationExercise.objects.values_list(
                "id", "rubric_id", "title", "description", "master_levels", "active", "recording"
            )
        ),
        sorted(CalibrationAttempt.objects.values_list("id", "observer_id", "levels", "passed")),
    ]


def _attempt_data(levels: dict[str, int]) -> dict[str, Any]:
    return {f"level_{code}": level for code, level in levels.items()}


def _exercise_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Questioning in a webinar",
        "description": "",
        "recording_url": "https://video.example.org/q",
        "active": "on",
    }
    data.update({f"master_{code}": level for code, level in MASTER.items()})
    data.update(changes)
    return data


def _urls(exercise: CalibrationExercise, rubric: Rubric) -> dict[str, str]:
    return {
        "list": reverse("certification:calibration_list"),
        "attempt": reverse("certification:calibration_attempt", args=[exercise.pk]),
        "recording": reverse("certification:calibration_recording", args=[exercise.pk]),
        "new": reverse("certification:calibration_new"),
        "new_for": f"{reverse('certification:calibration_new')}?rubric={rubric.pk}",
        "edit": reverse("certification:calibration_edit", args=[exercise.pk]),
        "reliability": reverse("certification:rubric_reliability", args=[rubric.pk]),
    }


# --- Who sees what -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, exercise, rubric):
    for url in _urls(exercise, rubric).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_people_who_do_not_observe_get_404_everywhere_and_change_nothing(
    client, make_person, exercise, rubric, role
):
    client.force_login(_person(make_person, role))
    attempt = calibration_attempt_submit(
        exercise=exercise, observer=make_person(Role.TRAINER), levels=dict(KNOWN)
    )
    before = _state()
    urls = _urls(exercise, rubric)

    gets = [client.get(url).status_code for url in urls.values()]
    result = client.get(reverse("certification:calibration_result", args=[attempt.pk]))
    posts = [
        client.post(urls["attempt"], _attempt_data(KNOWN)).status_code,
        client.post(urls["new_for"], _exercise_data()).status_code,
        client.post(urls["edit"], _exercise_data(title="Taken over")).status_code,
    ]

    assert gets == [404] * len(urls)
    assert result.status_code == 404
    assert posts == [404, 404, 404]
    assert _state() == before


def test_trainers_calibrate_but_neither_write_exercises_nor_read_reliability(
    client, make_person, exercise, rubric
):
    client.force_login(make_person(Role.TRAINER))
    urls = _urls(exercise, rubric)
    before = _state()

    listing = client.get(urls["list"])
    assert listing.status_code == 200
    assert client.get(urls["attempt"]).status_code == 200
    assert client.get(urls["recording"]).status_code == 200
    for name in ("new", "new_for", "edit", "reliability"):
        assert client.get(urls[name]).status_code == 404, name
    assert client.post(urls["new_for"], _exercise_data()).status_code == 404
    assert client.post(urls["edit"], _exercise_data(title="Mine now")).status_code == 404
    assert _state() == before
    page = listing.content.decode()
    assert "New exercise" not in page
    assert "Reliability of the rubrics" not in page
    assert "Your status: not yet calibrated." in page


def test_a_master_trainer_who_is_not_calibrated_gets_403_on_authoring_pages(
    client, make_person, exercise, rubric
):
    client.force_login(make_person(Role.MASTER_TRAINER))
    urls = _urls(exercise, rubric)
    before = _state()

    statuses = {name: client.get(urls[name]).status_code for name in urls}
    post = client.post(urls["new_for"], _exercise_data())

    assert statuses == {
        "list": 200,
        "attempt": 200,
        "recording": 200,
        "new": 403,
        "new_for": 403,
        "edit": 403,
        "reliability": 200,
    }
    assert post.status_code == 403
    assert _state() == before
    assert "Master trainers write exercises once they are certifying observers themselves." in (
        client.get(urls["list"]).content.decode()
    )


@pytest.mark.parametrize("who", ["program_manager", "calibrated_master"])
def test_program_managers_and_calibrated_masters_reach_every_page(
    client, request, exercise, rubric, who
):
    client.force_login(request.getfixturevalue(who))
    urls = _urls(exercise, rubric)

    statuses = {name: client.get(urls[name]).status_code for name in urls}

    assert statuses == dict.fromkeys(urls, 200)
    page = client.get(urls["list"]).content.decode()
    assert "New exercise" in page
    assert f'href="{urls["reliability"]}"' in page


def test_an_attempt_result_is_seen_by_its_observer_and_overseers_only(
    client, make_person, exercise, program_manager
):
    owner = make_person(Role.TRAINER, display_name="Olu Owner")
    other = make_person(Role.TRAINER)
    attempt = calibration_attempt_submit(exercise=exercise, observer=owner, levels=dict(KNOWN))
    url = reverse("certification:calibration_result", args=[attempt.pk])

    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(program_manager)
    overseen = client.get(url)
    assert overseen.status_code == 200
    assert "<h1>Olu Owner's result: Teach-back on feedback</h1>" in overseen.content.decode()


def test_closed_exercises_and_unknown_ids_answer_404(client, make_person, exercise, rubric):
    client.force_login(make_person(Role.TRAINER))
    CalibrationExercise.objects.filter(pk=exercise.pk).update(active=False)
    urls = _urls(exercise, rubric)

    assert client.get(urls["attempt"]).status_code == 404
    assert client.post(urls["attempt"], _attempt_data(KNOWN)).status_code == 404
    assert client.get(urls["recording"]).status_code == 404
    assert (
        client.get(reverse("certification:calibration_attempt", args=[999999])).status_code == 404
    )
    assert client.get(reverse("certification:calibration_result", args=[999999])).status_code == 404
    assert not CalibrationAttempt.objects.exists()


def test_reliability_of_a_draft_rubric_or_a_bad_window_does_not_fail(
    client, program_manager, rubric
):
    client.force_login(program_manager)
    draft = services.rubric_draft(slug=rubric.slug, actor=program_manager)

    assert (
        client.get(reverse("certification:rubric_reliability", args=[draft.pk])).status_code == 404
    )
    odd = client.get(reverse("certification:rubric_reliability", args=[rubric.pk]) + "?days=x1")
    assert odd.status_code == 200
    assert odd.context["window"] == 365


# --- A blind attempt, end to end ---------------------------------------------------------------


def test_a_blind_attempt_from_the_recording_to_the_result(client, make_person, exercise):
    trainer = make_person(Role.TRAINER)
    client.force_login(trainer)
    url = reverse("certification:calibration_attempt", args=[exercise.pk])

    page = client.get(url)
    html = page.content.decode()
    recording = reverse("certification:calibration_recording", args=[exercise.pk])
    assert f'<video class="video" controls preload="metadata" src="{recording}"' in html
    assert "Master level" not in html
    assert "master" not in str(page.context["form"].initial)
    assert "checked" not in html  # no level chosen in advance
    assert html.count('type="radio"') == 40
    assert "Objectives stated with why they matter for the job." in html

    response = client.post(url, _attempt_data(KNOWN))

    attempt = CalibrationAttempt.objects.get(observer=trainer)
    assert response.status_code == 302
    assert response["Location"] == reverse("certification:calibration_result", args=[attempt.pk])
    result = client.get(response["Location"])
    body = result.content.decode()
    assert result.status_code == 200
    assert "70%" in body  # exact
    assert "100%" in body  # within one level
    assert "0.75" in body  # 44/59
    assert "substantial agreement" in body
    assert "Passed" in body
    assert body.count("level higher") == 2  # R7, R10
    assert body.count("level lower") == 1  # R4
    assert [(r["criterion"].code, r["mine"], r["master"]) for r in result.context["rows"]] == [
        (code, KNOWN[code], MASTER[code]) for code in CODES
    ]
    listing = client.get(reverse("certification:calibration_list")).content.decode()
    until = date_filter(attempt.submitted_at + timedelta(days=365), "DATE_FORMAT")
    assert f"Your status: certifying observer until {until}." in listing
    assert "Teach-back on feedback" in listing


def test_missing_levels_are_shown_in_place_and_nothing_is_kept(client, make_person, exercise):
    client.force_login(make_person(Role.TRAINER))
    url = reverse("certification:calibration_attempt", args=[exercise.pk])
    partial = _attempt_data({k: v for k, v in KNOWN.items() if k not in ("R3", "R9")})
    partial["level_R1"] = "7"

    response = client.post(url, partial)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a level for R3." in html
    assert "Choose a level for R9." in html
    assert "Choose one of the levels 1 to 4." in html
    assert 'aria-describedby="c-R3-errors"' in html
    assert not CalibrationAttempt.objects.exists()


def test_the_author_is_told_their_own_exercise_cannot_calibrate_them(
    client, program_manager, exercise
):
    client.force_login(program_manager)
    url = reverse("certification:calibration_attempt", args=[exercise.pk])

    page = client.get(url).content.decode()
    post = client.post(url, _attempt_data(KNOWN))

    assert "so it cannot calibrate you" in page
    assert 'type="radio"' not in page
    assert post.status_code == 400
    assert not CalibrationAttempt.objects.exists()


def test_the_recording_is_served_as_a_download_that_is_never_sniffed(client, make_person, exercise):
    client.force_login(make_person(Role.TRAINER))

    response = client.get(reverse("certification:calibration_recording", args=[exercise.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="feedback.mp4"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == MP4


# --- Writing exercises -------------------------------------------------------------------------


def test_choosing_a_rubric_then_creating_an_exercise(client, program_manager, rubric):
    client.force_login(program_manager)
    new = reverse("certification:calibration_new")

    choose = client.get(new).content.decode()
    assert f'href="{new}?rubric={rubric.pk}"' in choose
    form = client.get(f"{new}?rubric={rubric.pk}").content.decode()
    assert 'name="master_R10"' in form
    assert 'enctype="multipart/form-data"' in form

    upload = SimpleUploadedFile("webinar.mp4", MP4, content_type="video/mp4")
    data = _exercise_data(title=HOSTILE, recording=upload, recording_url="")
    response = client.post(f"{new}?rubric={rubric.pk}", data)

    assert response.status_code == 302
    created = CalibrationExercise.objects.get()
    assert (created.title, created.master_levels, created.rubric) == (HOSTILE, MASTER, rubric)
    assert created.recording_name == "webinar.mp4"
    listing = client.get(reverse("certification:calibration_list")).content.decode()
    assert "<svg onload" not in listing
    assert "&lt;svg onload=alert(1)&gt;" in listing


def test_exercise_form_errors_are_shown_in_place(client, program_manager, rubric):
    client.force_login(program_manager)
    url = f"{reverse('certification:calibration_new')}?rubric={rubric.pk}"

    flat = client.post(url, _exercise_data(**{f"master_{c}": 3 for c in CODES}))
    blank = client.post(url, _exercise_data(title="", master_R2=""))
    bad_file = client.post(
        url,
        _exercise_data(recording=SimpleUploadedFile("notes.pdf", b"%PDF-1.4"), recording_url=""),
    )
    bad_link = client.post(url, _exercise_data(recording_url="javascript:alert(1)"))

    assert [r.status_code for r in (flat, blank, bad_file, bad_link)] == [400] * 4
    assert flat.context["form"].errors.keys() == {f"master_{c}" for c in CODES}
    assert "The master levels are all 3." in flat.content.decode()
    assert blank.context["form"].errors.keys() == {"title", "master_R2"}
    assert "Give the master level of R2." in blank.content.decode()
    assert list(bad_file.context["form"].errors) == ["recording"]
    assert "Files of type “.pdf” are not accepted." in bad_file.content.decode()
    assert list(bad_link.context["form"].errors) == ["recording_url"]
    assert not CalibrationExercise.objects.exists()


def test_editing_an_attempted_exercise_keeps_its_key(
    client, program_manager, exercise, make_person
):
    calibration_attempt_submit(
        exercise=exercise, observer=make_person(Role.TRAINER), levels=dict(KNOWN)
    )
    client.force_login(program_manager)
    url = reverse("certification:calibration_edit", args=[exercise.pk])

    page = client.get(url).content.decode()
    response = client.post(url, _exercise_data(title="Renamed", master_R1="1", active=""))

    assert "1 attempt was scored against these levels" in page
    assert '<select name="master_R1" required disabled id="id_master_R1">' in page
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert (exercise.title, exercise.active, exercise.master_levels) == ("Renamed", False, MASTER)


# --- Reliability page --------------------------------------------------------------------------


def test_the_reliability_page_warns_about_a_drifting_observer(
    client, program_manager, rubric, make_person
):
    candidate = make_person(Role.TRAINER)
    master = make_person(Role.MASTER_TRAINER, display_name="Mia Master")
    other_master = make_person(Role.MASTER_TRAINER, display_name="Max Master")
    lenient = make_person(Role.TRAINER, display_name="Len Lenient")
    reference = dict(zip(CODES, [2, 2, 3, 3, 2, 1, 2, 3, 1, 2], strict=True))
    now = timezone.now()
    for n in range(3):
        observation = Observation.objects.create(candidate=candidate, title="TB", rubric=rubric)
        for minute, (person, levels, role) in enumerate(
            (
                (master, reference, ObserverRole.MASTER),
                (other_master, reference, ObserverRole.MASTER),
                (lenient, {c: v + 1 for c, v in reference.items()}, ObserverRole.PEER),
            )
        ):
            ScoreSheet.objects.create(
                observation=observation,
                observer=person,
                role=role,
                levels=levels,
                submitted_at=now - timedelta(days=n + 1) + timedelta(minutes=minute),
            )
    client.force_login(program_manager)

    page = client.get(reverse("certification:rubric_reliability", args=[rubric.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "1 observer drifts from the reference." in html
    assert "Drifting: lenient" in html
    assert "+1.00" in html
    assert "Len Lenient" in html
    assert "ICC(2,1), 95% CI" in html
    assert page.context["report"].observations_double == 3


def test_list_and_reliability_pages_do_a_fixed_number_of_queries(
    client, program_manager, rubric, exercise, make_person, django_assert_max_num_queries
):
    def add_data(count: int) -> None:
        for _ in range(count):
            calibration_exercise_save(
                exercise=None,
                rubric=rubric,
                title="More",
                description="",
                recording_url="https://video.example.org/m",
                recording=None,
                master_levels=dict(MASTER),
                actor=program_manager,
            )
            calibration_attempt_submit(exercise=exercise, observer=tester, levels=dict(KNOWN))
            observation = Observation.objects.create(
                candidate=make_person(), title="TB", rubric=rubric
            )
            for person in (make_person(Role.TRAINER), make_person(Role.TRAINER)):
                ScoreSheet.objects.create(
                    observation=observation,
                    observer=person,
                    levels=dict(KNOWN),
                    submitted_at=timezone.now(),
                )
            CalibrationAttempt.objects.filter(observer=tester).update(
                submitted_at=timezone.now() - timedelta(minutes=5)
            )

    tester = make_person(Role.MASTER_TRAINER)
    client.force_login(tester)
    list_url = reverse("certification:calibration_list")
    reliability_url = reverse("certification:rubric_reliability", args=[rubric.pk])
    add_data(1)
    with django_assert_max_num_queries(10):
        assert client.get(list_url).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reliability_url).status_code == 200

    add_data(8)
    with django_assert_max_num_queries(10):
        assert client.get(list_url).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reliability_url).status_code == 200
