"""Doing a path through the pages: programs, the path, each kind of step, quiz attempts and
downloads; every denial answers 404/405 and changes nothing."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cascade.learning.models import (
    Enrolment,
    EvidenceFile,
    MentoringLog,
    ProgressStatus,
    QuizAttempt,
    ReflectionEntry,
    StepProgress,
)
from cascade.learning.quiz import public
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import programs as program_svc
from cascade.learning.services import progress as progress_svc
from cascade.learning.services import quizzes
from cascade.learning.tests.factories import (
    attempt_answers,
    build_path,
    build_program,
    enrol,
    open_cohort,
)

XSS = "<svg onload=alert(1)> [click](javascript:alert(2)) < > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
T_AFTER_DUES = "2026-11-20 10:00 +00:00"  # cohort starts 1 Nov: lesson (7d), quiz (14d) overdue


@pytest.fixture
def world(make_person):
    pm = make_person("program_manager", display_name="Pat Manager")
    master = make_person("master_trainer", display_name="Max Master")
    mentor = make_person("trainer", display_name="Mo Mentor")
    candidate = make_person("trainer", display_name="Cam Candidate")
    other = make_person("trainer", display_name="Oli Other")
    program, steps = build_program(pm)
    cohort = open_cohort(program, pm, masters=[master])
    enrolment = enrol(cohort, candidate, pm)
    other_enrolment = enrol(cohort, other, pm)
    cohort_svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    return SimpleNamespace(
        pm=pm,
        master=master,
        mentor=mentor,
        candidate=candidate,
        other=other,
        program=program,
        cohort=cohort,
        enrolment=enrolment,
        other_enrolment=other_enrolment,
        **steps,
    )


def step_url(w: Any, step: Any) -> str:
    return reverse("learning:step", args=[w.cohort.pk, step.pk])


def html(response: Any) -> str:
    return response.content.decode()


def pass_quiz(enrolment: Enrolment, quiz: Any) -> None:
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt, right=True))


def ready_for_task(w: Any, enrolment: Enrolment | None = None) -> None:
    enrolment = enrolment or w.enrolment
    progress_svc.lesson_complete(enrolment=enrolment, step=w.lesson)
    pass_quiz(enrolment, w.quiz)


def form_data(attempt: QuizAttempt, responses: dict[str, Any]) -> dict[str, Any]:
    """What a browser would post for ``responses`` (the engine's shapes) on this attempt."""
    data: dict[str, Any] = {}
    for item in attempt.served:
        qid = str(item["qid"])
        if qid not in responses:
            continue
        value = responses[qid]
        if item["kind"] == "ordering":
            for position, token in enumerate(value, start=1):
                data[f"q{qid}__{token}"] = str(position)
        elif item["kind"] == "matching":
            for left, right in value.items():
                data[f"q{qid}__{left}"] = right
        else:
            data[f"q{qid}"] = value
    return data


def every_kind_quiz(pm: Any, **config: Any) -> tuple[Any, Any]:
    """A program whose one quiz has a question of every kind, with feedback and explanations."""
    program = program_svc.program_create(title="All kinds", slug="all-kinds", actor=pm)
    version = program_svc.draft_version(program)
    bank = [
        program_svc.question_create(
            program=program,
            kind="single",
            prompt="Pick the open question",
            data={
                "options": [
                    {"text": "Why?", "correct": True, "feedback": "FEEDBACK-RIGHT-SINGLE"},
                    {"text": "Is it?", "correct": False, "feedback": "FEEDBACK-WRONG-SINGLE"},
                ]
            },
            explanation="EXPLANATION-SINGLE",
        ),
        program_svc.question_create(
            program=program,
            kind="multiple",
            prompt="Pick the adult learning principles",
            data={
                "options": [
                    {"text": "Relevance", "correct": True, "feedback": "FEEDBACK-M1"},
                    {"text": "Experience", "correct": True},
                    {"text": "Rote repetition", "correct": False, "feedback": "FEEDBACK-M3"},
                ]
            },
            explanation="EXPLANATION-MULTIPLE",
        ),
        program_svc.question_create(
            program=program,
            kind="true_false",
            prompt="Adults learn only by listening",
            data={"answer": False, "feedback": {"true": "FEEDBACK-TF-T", "false": "FEEDBACK-TF-F"}},
            explanation="EXPLANATION-TF",
        ),
        program_svc.question_create(
            program=program,
            kind="short",
            prompt="Name the pause after a question",
            data={"accepted": ["zebra wait time"]},
            explanation="EXPLANATION-SHORT",
        ),
        program_svc.question_create(
            program=program,
            kind="ordering",
            prompt="Order the session",
            data={"items": ["Open", "Explore", "Close"]},
            explanation="EXPLANATION-ORDER",
        ),
        program_svc.question_create(
            program=program,
            kind="matching",
            prompt="Match the terms",
            data={"pairs": [{"left": "Pause", "right": "Wait"}, {"left": "Ask", "right": "Probe"}]},
            explanation="EXPLANATION-MATCH",
        ),
    ]
    quiz = program_svc.step_create(
        version=version,
        kind="quiz",
        title="Every kind",
        config={"pass_mark": 100, "attempts_limit": 2, "shuffle_questions": False, **config},
    )
    program_svc.step_questions_set(step=quiz, question_ids=[q.pk for q in bank])
    program_svc.version_publish(version=version, actor=pm)
    return program, quiz


# --- My programs ----------------------------------------------------------------------------


def test_my_programs_lists_enrolments_with_progress_next_step_and_overdue(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    client.force_login(world.candidate)

    with time_machine.travel(T_AFTER_DUES, tick=False):
        response = client.get(reverse("learning:my_programs"))

    assert response.status_code == 200
    page = html(response)
    assert "Facilitation basics" in page
    assert "1 of 3 required steps done" in page
    assert 'aria-valuenow="33"' in page
    assert "pct-33" in page
    assert "Check: questions" in page  # the next step
    assert reverse("learning:step", args=[world.cohort.pk, world.quiz.pk]) in page
    assert "1 overdue" in page


def test_my_programs_is_empty_for_someone_not_enrolled(client, world):
    client.force_login(world.pm)

    response = client.get(reverse("learning:my_programs"))

    assert response.status_code == 200
    assert "You are not enrolled in a program yet" in html(response)


def test_my_programs_query_count_does_not_grow_with_steps_or_progress(client, make_person):
    pm = make_person("program_manager")
    person = make_person("learner")
    small, _ = build_path(pm, [{"kind": "lesson"}], slug="small")
    big, big_steps = build_path(pm, [{"kind": "lesson"} for _ in range(12)], slug="big")
    small_enrolment = enrol(open_cohort(small, pm), person, pm)
    client.force_login(person)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("learning:my_programs"))
    Enrolment.objects.filter(pk=small_enrolment.pk).delete()
    big_enrolment = enrol(open_cohort(big, pm), person, pm)
    for step in big_steps[:5]:
        progress_svc.lesson_complete(enrolment=big_enrolment, step=step)

    with CaptureQueriesContext(connection) as other:
        response = client.get(reverse("learning:my_programs"))

    assert "5 of 12 required steps done" in html(response)
    assert len(other.captured_queries) == len(one.captured_queries)


def test_my_programs_needs_sign_in(client):
    response = client.get(reverse("learning:my_programs"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


# --- My path --------------------------------------------------------------------------------


def test_my_path_shows_steps_in_order_with_status_locks_due_dates_and_the_next_step(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    client.force_login(world.candidate)

    with time_machine.travel(T_AFTER_DUES, tick=False):
        response = client.get(reverse("learning:my_path", args=[world.cohort.pk]))

    assert response.status_code == 200
    page = html(response)
    titles = ["Asking questions", "Check: questions", "Run a huddle", "What surprised you?"]
    steps = page[page.index('class="path-list"') :]
    assert [steps.index(f">{t}<") for t in titles] == sorted(steps.index(f">{t}<") for t in titles)
    items = re.findall(r'<li class="path-step([^"]*)"([^>]*)>(.*?)</li>', page, re.S)
    by_title = {
        next(t for t in titles if f">{t}<" in body): (cls, attrs) for cls, attrs, body in items
    }
    assert "path-step--done" in by_title["Asking questions"][0]
    assert "path-step--next" in by_title["Check: questions"][0]
    assert 'aria-current="step"' in by_title["Check: questions"][1]
    assert "path-step--overdue" in by_title["Check: questions"][0]
    assert "path-step--locked" in by_title["Run a huddle"][0]
    assert "Opens after: Check: questions" in page
    assert "Overdue: was due" in page
    assert "Your next step" in page
    assert "1 step overdue" in page
    # A locked step is not a link.
    assert step_url(world, world.task) not in page
    assert step_url(world, world.quiz) in page


def test_my_path_groups_steps_by_module(client, make_person):
    pm = make_person("program_manager")
    person = make_person("learner")
    program = program_svc.program_create(title="Modules", slug="modules", actor=pm)
    version = program_svc.draft_version(program)
    week1 = program_svc.module_create(version=version, title="Week 1: How adults learn")
    week2 = program_svc.module_create(version=version, title="Week 2: Questions")
    for module, title in [(week1, "Read A"), (week1, "Read B"), (week2, "Read C")]:
        program_svc.step_create(
            version=version, kind="lesson", title=title, body="x", module=module
        )
    program_svc.version_publish(version=version, actor=pm)
    cohort = open_cohort(program, pm)
    enrol(cohort, person, pm)
    client.force_login(person)

    page = html(client.get(reverse("learning:my_path", args=[cohort.pk])))
    page = page[page.index('class="path-section"') :]

    order = [page.index(s) for s in ("Week 1: How adults learn", "Read A", "Read B", "Week 2")]
    assert order == sorted(order)
    assert page.index("Week 2: Questions") < page.index(">Read C<")


@pytest.mark.parametrize("who", ["other_cohort", "not_enrolled", "withdrawn"])
def test_my_path_of_a_cohort_the_viewer_is_not_in_is_404(client, world, make_person, who):
    person = make_person("trainer")
    cohort_pk = world.cohort.pk
    if who == "other_cohort":
        program, _ = build_program(world.pm, slug="other")
        cohort = open_cohort(program, world.pm)
        enrol(cohort, person, world.pm)
    elif who == "withdrawn":
        enrolment = enrol(world.cohort, person, world.pm)
        cohort_svc.enrolment_withdraw(enrolment=enrolment, actor=world.pm)
    client.force_login(person)

    response = client.get(reverse("learning:my_path", args=[cohort_pk]))

    assert response.status_code == 404


def test_my_path_query_count_does_not_grow_with_the_number_of_steps(client, make_person):
    pm = make_person("program_manager")
    person = make_person("learner")

    def path_of(n: int, slug: str) -> Any:
        specs = [{"kind": "lesson", "due_offset_days": i} for i in range(n)]
        specs += [{"kind": "lesson", "after": (0, 1)} for _ in range(n)]
        program, steps = build_path(pm, specs, slug=slug)
        cohort = open_cohort(program, pm)
        enrolment = enrol(cohort, person, pm)
        progress_svc.lesson_complete(enrolment=enrolment, step=steps[0])
        return cohort

    small, big = path_of(2, "small"), path_of(15, "big")
    client.force_login(person)
    client.get(reverse("learning:my_path", args=[small.pk]))  # warm the session

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("learning:my_path", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("learning:my_path", args=[big.pk]))

    assert response.status_code == 200
    assert html(response).count('<li class="path-step') == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_my_path_is_get_only(client, world):
    client.force_login(world.candidate)

    response = client.post(reverse("learning:my_path", args=[world.cohort.pk]))

    assert response.status_code == 405


# --- Lessons --------------------------------------------------------------------------------


def lesson_world(pm: Any, person: Any, body: str = "# Hello\n\nRead **this**.") -> Any:
    program = program_svc.program_create(title="Video", slug="video", actor=pm)
    version = program_svc.draft_version(program)
    lesson = program_svc.step_create(
        version=version,
        kind="lesson",
        title="Watch",
        body=body,
        config={"video_url": "https://video.example.org/watch?v=1"},
    )
    video = program_svc.resource_add(
        step=lesson, upload=SimpleUploadedFile("intro.mp4", MP4), title="Intro video"
    )
    handout = program_svc.resource_add(
        step=lesson, upload=SimpleUploadedFile("handout.pdf", PDF), title="Handout"
    )
    program_svc.version_publish(version=version, actor=pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    return SimpleNamespace(
        cohort=cohort, lesson=lesson, video=video, handout=handout, enrolment=enrolment
    )


def test_a_lesson_shows_sanitised_markdown_video_and_downloads(client, make_person):
    pm, person = make_person("program_manager"), make_person("learner")
    w = lesson_world(pm, person, body=f"# Hello\n\nRead **this**. {XSS}")
    client.force_login(person)

    response = client.get(step_url(w, w.lesson))

    assert response.status_code == 200
    page = html(response)
    assert "<h1>Hello</h1>" in page
    assert "<strong>this</strong>" in page
    assert "<svg onload" not in page
    assert 'href="javascript:' not in page
    assert "碁" in page
    video_url = reverse("learning:resource", args=[w.video.pk])
    assert f'<video class="video" controls preload="metadata" src="{video_url}"' in page
    assert 'href="https://video.example.org/watch?v=1"' in page
    assert "<iframe" not in page
    assert reverse("learning:resource", args=[w.handout.pk]) in page
    assert "Mark as complete" in page


def test_marking_a_lesson_complete_completes_it_once_and_returns_to_the_path(client, world):
    client.force_login(world.candidate)

    first = client.post(step_url(world, world.lesson))
    again = client.post(step_url(world, world.lesson), follow=True)

    assert first.status_code == 302
    assert first["Location"] == reverse("learning:my_path", args=[world.cohort.pk])
    progress = StepProgress.objects.get(enrolment=world.enrolment, step=world.lesson)
    assert progress.status == ProgressStatus.COMPLETED
    assert StepProgress.objects.filter(enrolment=world.enrolment).count() == 1
    assert "“Asking questions” is complete." in html(again)


def test_another_candidates_step_or_a_step_of_another_program_is_404(client, world):
    _program, steps = build_program(world.pm, slug="elsewhere")
    client.force_login(world.other)

    foreign = client.get(reverse("learning:step", args=[world.cohort.pk, steps["lesson"].pk]))
    client.force_login(world.pm)
    not_enrolled = client.post(step_url(world, world.lesson))

    assert (foreign.status_code, not_enrolled.status_code) == (404, 404)
    assert not StepProgress.objects.exists()


def test_resources_download_for_the_enrolled_and_managers_only(client, make_person):
    pm, person, stranger = (
        make_person("program_manager"),
        make_person("learner"),
        make_person("trainer"),
    )
    w = lesson_world(pm, person)
    url = reverse("learning:resource", args=[w.handout.pk])

    client.force_login(person)
    mine = client.get(url)
    client.force_login(pm)
    managed = client.get(url)
    client.force_login(stranger)
    denied = client.get(url)
    missing = client.get(reverse("learning:resource", args=[w.handout.pk + 999]))

    assert (mine.status_code, managed.status_code) == (200, 200)
    assert mine["Content-Disposition"].startswith("attachment")
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert b"".join(mine.streaming_content) == PDF
    assert (denied.status_code, missing.status_code) == (404, 404)


# --- Quizzes --------------------------------------------------------------------------------


def test_the_quiz_intro_shows_the_rules_and_a_start_button(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    client.force_login(world.candidate)

    page = html(client.get(step_url(world, world.quiz)))

    assert "100%" in page  # pass mark
    assert "0 of 3 used, 3 left" in page
    assert "Start attempt" in page
    assert reverse("learning:quiz_start", args=[world.cohort.pk, world.quiz.pk]) in page


def test_a_locked_quiz_shows_what_it_waits_for_and_cannot_be_started(client, world):
    client.force_login(world.candidate)

    page = html(client.get(step_url(world, world.quiz)))
    start = client.post(
        reverse("learning:quiz_start", args=[world.cohort.pk, world.quiz.pk]), follow=True
    )

    assert "This step is locked." in page
    assert "Asking questions" in page
    assert "Start attempt" not in page
    assert "Finish the earlier steps first." in html(start)
    assert not QuizAttempt.objects.exists()


def test_quiz_start_is_post_only_and_starting_twice_resumes_the_open_attempt(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    client.force_login(world.candidate)
    url = reverse("learning:quiz_start", args=[world.cohort.pk, world.quiz.pk])

    get = client.get(url)
    first = client.post(url)
    second = client.post(url)

    assert get.status_code == 405
    attempt = QuizAttempt.objects.get()
    assert first["Location"] == second["Location"] == reverse("learning:attempt", args=[attempt.pk])


def test_posting_to_a_quiz_or_live_session_step_is_405(client, world, make_person):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    client.force_login(world.candidate)

    response = client.post(step_url(world, world.quiz))

    assert response.status_code == 405
    assert not QuizAttempt.objects.exists()


def test_the_attempt_page_never_contains_the_answers(client, make_person):
    pm, person = make_person("program_manager"), make_person("learner")
    program, quiz = every_kind_quiz(pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    client.force_login(person)

    response = client.get(reverse("learning:attempt", args=[attempt.pk]))

    assert response.status_code == 200
    page = html(response)
    for item in public(attempt.served):
        assert item["prompt"] in page
        for option in item.get("options", []):
            assert f'value="{option["token"]}"' in page
    secrets = ["correct", "feedback", "FEEDBACK", "EXPLANATION", "zebra wait time", "accepted"]
    for secret in secrets:
        assert secret not in page.replace("Correct answer", ""), secret
    # Served order and tokens reveal nothing: the ordering items are not in the right order.
    order_item = next(i for i in attempt.served if i["kind"] == "ordering")
    shown = [i["token"] for i in order_item["items"]]
    assert [page.index(t) for t in shown] == sorted(page.index(t) for t in shown)
    assert shown != order_item["key"]["order"]


def test_a_right_submission_shows_the_result_and_a_double_submit_changes_nothing(
    client, make_person
):
    pm, person = make_person("program_manager"), make_person("learner")
    program, quiz = every_kind_quiz(pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    url = reverse("learning:attempt", args=[attempt.pk])
    client.force_login(person)

    submitted = client.post(url, form_data(attempt, attempt_answers(attempt, right=True)))
    again = client.post(url, form_data(attempt, attempt_answers(attempt, right=False)))
    result = client.get(url)

    assert submitted.status_code == again.status_code == 302
    assert submitted["Location"] == again["Location"] == url
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (100.0, True)
    page = html(result)
    assert "100%" in page
    assert "Passed" in page
    assert page.count('class="badge badge--ok">Right<') == 6
    assert "EXPLANATION-ORDER" in page
    assert "Open → Explore → Close" in page  # the candidate's own ordering answer
    assert "Try again" not in page
    assert StepProgress.objects.get(enrolment=enrolment, step=quiz).status == "completed"


def test_a_wrong_submission_shows_feedback_and_try_again_but_not_the_answers(client, make_person):
    pm, person = make_person("program_manager"), make_person("learner")
    program, quiz = every_kind_quiz(pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    url = reverse("learning:attempt", args=[attempt.pk])
    client.force_login(person)

    client.post(url, form_data(attempt, attempt_answers(attempt, right=False)))
    page = html(client.get(url))

    assert "0%" in page
    assert "Not passed" in page
    assert "FEEDBACK-WRONG-SINGLE" in page
    assert "FEEDBACK-TF-T" in page
    # the right answers would make the retry trivial: they wait for a pass or the last attempt
    assert "EXPLANATION-SHORT" not in page
    assert "zebra wait time" not in page
    assert "Pause = Wait; Ask = Probe" not in page
    assert "shown once you pass or have no attempt left" in page
    assert "Try again" in page
    assert "1 attempt left" in page


def test_the_last_failed_attempt_shows_the_right_answers(client, make_person):
    pm, person = make_person("program_manager"), make_person("learner")
    program, quiz = every_kind_quiz(pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    client.force_login(person)
    for _ in range(2):  # the quiz allows two attempts
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        url = reverse("learning:attempt", args=[attempt.pk])
        client.post(url, form_data(attempt, attempt_answers(attempt, right=False)))

    page = html(client.get(url))

    assert "EXPLANATION-SHORT" in page
    assert "zebra wait time" in page
    assert "Pause = Wait; Ask = Probe" in page
    assert "Try again" not in page


def test_garbage_posted_to_an_attempt_is_refused_with_a_message_and_nothing_changes(
    client, make_person
):
    pm, person = make_person("program_manager"), make_person("learner")
    program, quiz = every_kind_quiz(pm)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, person, pm)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    url = reverse("learning:attempt", args=[attempt.pk])
    by_kind = {i["kind"]: i for i in attempt.served}
    single, order, match = by_kind["single"], by_kind["ordering"], by_kind["matching"]
    tokens = [o["token"] for o in single["options"]]
    client.force_login(person)

    responses = [
        client.post(url, {"q123456": "x", f"q{single['qid']}": tokens}),  # a list for single
        client.post(url, {f"q{order['qid']}__{order['items'][0]['token']}": "first"}),
        client.post(url, {f"q{match['qid']}__{match['lefts'][0]['token']}": "nope"}),
        client.post(url, {f"q{single['qid']}": "not-a-token"}),
        client.post(
            url,
            {f"q{order['qid']}__{i['token']}": "1" for i in order["items"]},  # all first
        ),
    ]

    assert [r.status_code for r in responses] == [400] * 5
    for r in responses:
        assert "Some answers could not be read" in html(r)
    assert "Give one answer to this question." in html(responses[0])
    assert "Select a valid choice" in html(responses[1])
    assert "Give each item a different position." in html(responses[4])
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.responses) == (None, None, {})


def test_unknown_keys_are_ignored_and_unanswered_questions_count_as_wrong(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    attempt = quizzes.attempt_start(enrolment=world.enrolment, step=world.quiz)
    right = attempt_answers(attempt, right=True)
    first = str(attempt.served[0]["qid"])
    client.force_login(world.candidate)

    response = client.post(
        reverse("learning:attempt", args=[attempt.pk]),
        {**form_data(attempt, {first: right[first]}), "q999999": "x", "score": "100"},
    )

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.responses == {first: right[first]}
    assert attempt.score == 33.33


def test_submitting_no_answers_grades_every_question_wrong(client, world):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    attempt = quizzes.attempt_start(enrolment=world.enrolment, step=world.quiz)
    client.force_login(world.candidate)

    response = client.post(reverse("learning:attempt", args=[attempt.pk]), {})

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.responses, attempt.score, attempt.passed) == ({}, 0.0, False)


def test_another_candidates_attempt_is_404_and_unchanged(client, world):
    progress_svc.lesson_complete(enrolment=world.other_enrolment, step=world.lesson)
    attempt = quizzes.attempt_start(enrolment=world.other_enrolment, step=world.quiz)
    url = reverse("learning:attempt", args=[attempt.pk])
    client.force_login(world.candidate)

    get = client.get(url)
    post = client.post(url, form_data(attempt, attempt_answers(attempt, right=True)))
    client.force_login(world.master)
    reviewer = client.get(url)

    assert (get.status_code, post.status_code, reviewer.status_code) == (404, 404, 404)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_a_timed_attempt_shows_the_time_left_and_after_the_deadline_grades_what_was_saved(
    client, world
):
    progress_svc.lesson_complete(enrolment=world.enrolment, step=world.lesson)
    program_quiz = world.quiz
    program_quiz.config = {**program_quiz.config, "time_limit_minutes": 10}
    program_quiz.save(update_fields=["config"])
    client.force_login(world.candidate)
    with time_machine.travel("2026-11-05 09:00 +00:00", tick=False):
        attempt = quizzes.attempt_start(enrolment=world.enrolment, step=world.quiz)
        page = html(client.get(reverse("learning:attempt", args=[attempt.pk])))
    right = form_data(attempt, attempt_answers(attempt, right=True))

    with time_machine.travel("2026-11-05 09:20 +00:00", tick=False):
        expired = html(client.get(reverse("learning:attempt", args=[attempt.pk])))
        late = client.post(reverse("learning:attempt", args=[attempt.pk]), right)

    assert 'data-countdown="600"' in page
    assert "The time for this attempt is up." in expired
    assert "data-countdown=" not in expired  # no script submits on load
    assert "learning/path.js" in page
    assert late.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0.0, False)


# --- On-the-job tasks -----------------------------------------------------------------------


def test_a_task_shows_its_checklist_and_submits_with_several_files(client, world):
    ready_for_task(world)
    client.force_login(world.candidate)
    page = html(client.get(step_url(world, world.task)))

    response = client.post(
        step_url(world, world.task),
        {
            "checklist": ["0", "1"],
            "note": "Ran it on Tuesday",
            "evidence": [
                SimpleUploadedFile("plan.txt", b"three questions"),
                SimpleUploadedFile("photo.pdf", PDF),
            ],
        },
    )
    after = html(client.get(step_url(world, world.task)))

    assert "Plan three questions" in page
    assert "Run the huddle" in page
    assert 'enctype="multipart/form-data"' in page
    assert response.status_code == 302
    progress = StepProgress.objects.get(enrolment=world.enrolment, step=world.task)
    assert (progress.status, progress.checklist, progress.submission) == (
        ProgressStatus.SUBMITTED,
        [0, 1],
        "Ran it on Tuesday",
    )
    assert sorted(progress.files.values_list("original_name", flat=True)) == [
        "photo.pdf",
        "plan.txt",
    ]
    assert "Waiting for sign-off." in after
    assert "Submit for sign-off" not in after
    for evidence in progress.files.all():
        assert reverse("learning:evidence", args=[evidence.pk]) in after


def test_a_fake_pdf_shows_the_error_and_nothing_is_submitted(client, world):
    ready_for_task(world)
    client.force_login(world.candidate)

    response = client.post(
        step_url(world, world.task),
        {
            "checklist": ["0", "1"],
            "evidence": SimpleUploadedFile("evidence.pdf", b"<html>not a pdf</html>"),
        },
    )

    assert response.status_code == 400
    assert "“evidence.pdf” does not contain what its name says (.pdf)." in html(response)
    assert not StepProgress.objects.filter(enrolment=world.enrolment, step=world.task).exists()
    assert not EvidenceFile.objects.exists()


def test_an_unticked_or_garbage_checklist_is_refused_in_place(client, world):
    ready_for_task(world)
    client.force_login(world.candidate)

    half = client.post(step_url(world, world.task), {"checklist": ["0"], "note": "Did it"})
    garbage = client.post(step_url(world, world.task), {"checklist": ["0", "x"], "note": "Did"})

    assert (half.status_code, garbage.status_code) == (400, 400)
    assert "Tick every item of the checklist before submitting." in html(half)
    assert "Select a valid choice. x is not one of the available choices." in html(garbage)
    assert not StepProgress.objects.filter(enrolment=world.enrolment, step=world.task).exists()


def test_a_returned_task_shows_the_reviewers_note_and_can_be_submitted_again(client, world):
    ready_for_task(world)
    progress = progress_svc.task_submit(
        enrolment=world.enrolment, step=world.task, checked_items=[0, 1], note="First go"
    )
    progress_svc.work_sign_off(
        progress=progress, actor=world.master, approve=False, note="Add a photo <b>please</b>"
    )
    client.force_login(world.candidate)

    page = html(client.get(step_url(world, world.task)))

    assert "Returned for more work." in page
    assert "Add a photo &lt;b&gt;please&lt;/b&gt;" in page
    assert "Submit again" in page
    assert "First go" in page


def test_evidence_downloads_for_the_owner_and_reviewers_only(client, world, make_person):
    ready_for_task(world)
    progress_svc.task_submit(
        enrolment=world.enrolment,
        step=world.task,
        checked_items=[0, 1],
        uploads=[SimpleUploadedFile("plan.pdf", PDF)],
    )
    evidence = EvidenceFile.objects.get()
    url = reverse("learning:evidence", args=[evidence.pk])

    statuses = {}
    for name in ("candidate", "mentor", "master", "other"):
        client.force_login(getattr(world, name))
        statuses[name] = client.get(url).status_code
    client.force_login(world.candidate)
    response = client.get(url)

    assert statuses == {"candidate": 200, "mentor": 200, "master": 200, "other": 404}
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('attachment; filename="plan.pdf"')
    assert client.get(reverse("learning:evidence", args=[evidence.pk + 99])).status_code == 404
    assert client.post(url).status_code == 405


# --- Reflections, mentoring, live sessions, teach-backs -------------------------------------


def test_a_reflection_is_submitted_refused_when_short_and_shows_the_reply(client, world):
    client.force_login(world.candidate)

    short = client.post(step_url(world, world.reflection), {"text": "Too short"})
    done = client.post(step_url(world, world.reflection), {"text": f"I learnt a lot {XSS}"})
    progress = StepProgress.objects.get(enrolment=world.enrolment, step=world.reflection)
    progress_svc.reflection_reply(progress=progress, actor=world.master, text="Great <i>work</i>")
    page = html(client.get(step_url(world, world.reflection)))

    assert short.status_code == 400
    assert "Write at least 3 words (you wrote 2)." in html(short)
    assert done.status_code == 302
    assert ReflectionEntry.objects.get().text == f"I learnt a lot {XSS}"
    assert "Great &lt;i&gt;work&lt;/i&gt;" in page
    assert "&lt;svg onload=alert(1)&gt;" in page
    assert "<svg onload" not in page
    assert "Submit reflection" not in page


def mentoring_world(pm: Any, master: Any, person: Any, **extra: Any) -> Any:
    program, steps = build_path(
        pm,
        [
            {"kind": "mentoring", "title": "Meet your mentor", "config": {"meetings_required": 2}},
            {
                "kind": "live_session",
                "title": "Workshop day",
                "config": {
                    "starts_at": "2026-11-10T09:00:00+00:00",
                    "ends_at": "2026-11-10T12:30:00+00:00",
                    "venue": "Room 4",
                    "join_url": "https://meet.example.org/abc",
                },
            },
            {"kind": "teach_back", "title": "Teach it back", "body": "Teach **five** minutes."},
        ],
        slug="kinds",
    )
    cohort = open_cohort(program, pm, masters=[master])
    enrolment = enrol(cohort, person, pm)
    mentoring, live, teach = steps
    return SimpleNamespace(
        cohort=cohort, enrolment=enrolment, mentoring=mentoring, live=live, teach=teach
    )


def test_mentoring_meetings_are_logged_and_listed(client, make_person):
    pm, master, person = (
        make_person("program_manager"),
        make_person("master_trainer"),
        make_person("trainer"),
    )
    w = mentoring_world(pm, master, person)
    client.force_login(person)

    with time_machine.travel("2026-11-12 10:00 +00:00", tick=False):
        future = client.post(step_url(w, w.mentoring), {"met_on": "2026-12-01", "notes": "x"})
        bad_date = client.post(step_url(w, w.mentoring), {"met_on": "yesterday"})
        logged = client.post(
            step_url(w, w.mentoring),
            {"met_on": "2026-11-11", "notes": "Talked about pacing", "actions": "Film a session"},
        )
        page = html(client.get(step_url(w, w.mentoring)))

    assert (future.status_code, bad_date.status_code, logged.status_code) == (400, 400, 302)
    assert "The meeting date cannot be in the future." in html(future)
    meeting = MentoringLog.objects.get()
    assert (meeting.notes, meeting.actions, meeting.logged_by) == (
        "Talked about pacing",
        "Film a session",
        person,
    )
    assert "Talked about pacing" in page
    assert "1 logged so far." in page
    assert StepProgress.objects.get(step=w.mentoring).status == ProgressStatus.IN_PROGRESS


def test_a_live_session_is_shown_in_the_viewers_time_zone(client, make_person):
    pm, master = make_person("program_manager"), make_person("master_trainer")
    person = make_person("trainer", time_zone="Asia/Kolkata")
    w = mentoring_world(pm, master, person)
    client.force_login(person)

    page = html(client.get(step_url(w, w.live)))
    post = client.post(step_url(w, w.live))

    assert "14:30" in page  # 09:00 UTC in India
    assert "18:00" in page  # 12:30 UTC
    assert "Asia/Kolkata" in page
    assert "Room 4" in page
    assert 'href="https://meet.example.org/abc"' in page
    assert "Your master trainer records attendance" in page
    assert post.status_code == 405
    assert not StepProgress.objects.exists()


def test_a_teach_back_is_submitted_with_a_link_and_a_note(client, make_person):
    pm, master, person = (
        make_person("program_manager"),
        make_person("master_trainer"),
        make_person("trainer"),
    )
    w = mentoring_world(pm, master, person)
    client.force_login(person)

    empty = client.post(step_url(w, w.teach), {})
    bad_link = client.post(step_url(w, w.teach), {"link": "javascript:alert(1)"})
    done = client.post(
        step_url(w, w.teach), {"link": "https://video.example.org/me", "note": "My first go"}
    )
    page = html(client.get(step_url(w, w.teach)))

    assert (empty.status_code, bad_link.status_code, done.status_code) == (400, 400, 302)
    assert "Add evidence: upload a file or describe what you did." in html(empty)
    progress = StepProgress.objects.get(step=w.teach)
    assert progress.status == ProgressStatus.SUBMITTED
    assert progress.submission == "https://video.example.org/me\n\nMy first go"
    assert "<strong>five</strong>" in page
    assert 'href="https://video.example.org/me"' in page
    assert "Waiting for sign-off." in page


def test_a_teach_back_recording_upload_of_the_wrong_type_is_shown(client, make_person):
    pm, master, person = (
        make_person("program_manager"),
        make_person("master_trainer"),
        make_person("trainer"),
    )
    w = mentoring_world(pm, master, person)
    client.force_login(person)

    response = client.post(
        step_url(w, w.teach), {"recording": SimpleUploadedFile("talk.exe", b"MZ\x90\x00")}
    )

    assert response.status_code == 400
    assert "Files of type “.exe” are not accepted." in html(response)
    assert not StepProgress.objects.exists()
