"""Doing steps through the services: quiz attempts (limits, policies, time limits, double
submits), reflections, mentoring, task sign-off and attendance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, close_old_connections, connection
from django.urls import reverse

from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry, Notification
from cascade.learning.models import (
    Enrolment,
    MentoringLog,
    ProgressStatus,
    QuizAttempt,
    ReflectionEntry,
    StepProgress,
)
from cascade.learning.quiz import public
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import programs as program_svc
from cascade.learning.services import progress as svc
from cascade.learning.services import quizzes
from cascade.learning.tests.factories import (
    attempt_answers,
    build_path,
    build_program,
    enrol,
    open_cohort,
)

T0 = "2026-11-02 09:00 +00:00"


@pytest.fixture
def pm(make_person):
    return make_person("program_manager")


@pytest.fixture
def master(make_person):
    return make_person("master_trainer")


@pytest.fixture
def candidate(make_person):
    return make_person("trainer", display_name="Casey Candidate")


def path_for(pm, master, candidate, steps: list[dict[str, Any]], slug: str = "path"):
    """Publish ``steps``, open a cohort with ``master`` and enrol ``candidate``."""
    program, made = build_path(pm, steps, slug=slug)
    cohort = open_cohort(program, pm, masters=[master])
    return enrol(cohort, candidate, pm), made


def quiz_for(pm, master, candidate, **config):
    enrolment, (quiz,) = path_for(
        pm,
        master,
        candidate,
        [{"kind": "quiz", "config": {"pass_mark": 100, "shuffle_questions": False, **config}}],
    )
    return enrolment, quiz


def one_right(attempt: QuizAttempt) -> dict[str, Any]:
    """Only the first served question answered, correctly."""
    right = attempt_answers(attempt, right=True)
    first = str(attempt.served[0]["qid"])
    return {first: right[first]}


def progress_of(enrolment: Enrolment, step) -> StepProgress:
    return StepProgress.objects.get(enrolment=enrolment, step=step)


def refused(call, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        call(**kwargs)
    return exc.value


# --- Starting attempts ----------------------------------------------------------------------


def test_attempt_start_serves_the_quiz_without_answers(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)

    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)

    assert (attempt.number, attempt.submitted_at, attempt.deadline, attempt.score) == (
        1,
        None,
        None,
        None,
    )
    assert [item["kind"] for item in attempt.served] == ["single", "short", "true_false"]
    assert all("key" in item for item in attempt.served)
    assert all(set(item) & {"key", "explanation"} == set() for item in public(attempt.served))
    assert progress_of(enrolment, quiz).status == ProgressStatus.IN_PROGRESS


def test_two_starts_return_the_same_open_attempt(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)

    first = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    second = quizzes.attempt_start(enrolment=enrolment, step=quiz)

    assert first.pk == second.pk
    assert second.served == first.served
    assert QuizAttempt.objects.count() == 1


def test_draw_count_serves_that_many_questions(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, draw_count=2)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    assert len({item["qid"] for item in attempt.served}) == 2


def test_attempts_limit_fails_the_step_and_refuses_a_fourth_start(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, attempts_limit=3)
    statuses = []
    for number in (1, 2, 3):
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        assert attempt.number == number
        quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt, right=False))
        statuses.append(progress_of(enrolment, quiz).status)

    error = refused(quizzes.attempt_start, enrolment=enrolment, step=quiz)

    assert statuses == ["in_progress", "in_progress", "failed"]
    assert error.code == "no_attempts_left"
    assert QuizAttempt.objects.filter(enrolment=enrolment).count() == 3
    assert quizzes.attempts_left(quiz, 3) == 0


def test_unlimited_attempts(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, attempts_limit=0)
    for _ in range(5):
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        quizzes.attempt_submit(attempt=attempt, responses={})
    assert quizzes.attempts_left(quiz, 5) is None
    assert progress_of(enrolment, quiz).status == ProgressStatus.IN_PROGRESS
    assert quizzes.attempt_start(enrolment=enrolment, step=quiz).number == 6


def test_a_passed_quiz_cannot_be_started_again(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt))

    assert refused(quizzes.attempt_start, enrolment=enrolment, step=quiz).code == "already_passed"
    assert QuizAttempt.objects.count() == 1


def test_a_withdrawn_enrolment_cannot_start(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    cohort_svc.enrolment_withdraw(enrolment=enrolment, actor=pm)

    assert refused(quizzes.attempt_start, enrolment=enrolment, step=quiz).code == "withdrawn"
    assert QuizAttempt.objects.count() == 0
    assert StepProgress.objects.count() == 0


def test_a_step_of_another_version_is_not_found(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    draft = program_svc.version_start_draft(program=quiz.version.program, actor=pm)
    program_svc.version_publish(version=draft, actor=pm)
    v2_quiz = draft.steps.get()

    error = refused(quizzes.attempt_start, enrolment=enrolment, step=v2_quiz)

    assert (error.code, error.status) == ("wrong_version", 404)
    assert QuizAttempt.objects.count() == 0


def test_a_locked_quiz_cannot_start(pm, master, candidate):
    program, steps = build_program(pm)
    enrolment = enrol(open_cohort(program, pm), candidate, pm)
    assert (
        refused(quizzes.attempt_start, enrolment=enrolment, step=steps["quiz"]).code
        == "step_locked"
    )
    assert QuizAttempt.objects.count() == 0


def test_only_quiz_steps_have_attempts(pm, master, candidate):
    enrolment, (lesson,) = path_for(pm, master, candidate, [{"kind": "lesson"}])
    assert refused(quizzes.attempt_start, enrolment=enrolment, step=lesson).code == "wrong_kind"


# --- Submitting -----------------------------------------------------------------------------


def test_a_passing_submit_completes_the_step_and_the_enrolment(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)

    graded = quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt))

    assert (graded.score, graded.passed) == (100.0, True)
    assert [r["correct"] for r in graded.results] == [True, True, True]
    progress = progress_of(enrolment, quiz)
    assert (progress.status, progress.score) == ("completed", 100.0)
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    assert enrolment.completed_at is not None


@pytest.mark.parametrize(
    ("pass_mark", "passed", "status"), [(33, True, "completed"), (34, False, "in_progress")]
)
def test_pass_mark_is_a_minimum_percent(pm, master, candidate, pass_mark, passed, status):
    enrolment, quiz = quiz_for(pm, master, candidate, pass_mark=pass_mark)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    graded = quizzes.attempt_submit(attempt=attempt, responses=one_right(attempt))
    assert (graded.score, graded.passed) == (33.33, passed)
    assert progress_of(enrolment, quiz).status == status


def test_a_submit_counts_once_even_when_repeated(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    first = quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt, right=False))
    submitted_at = first.submitted_at

    again = quizzes.attempt_submit(
        attempt=QuizAttempt.objects.get(pk=attempt.pk), responses=attempt_answers(attempt)
    )

    assert (again.score, again.passed, again.submitted_at) == (0.0, False, submitted_at)
    assert again.responses == attempt_answers(attempt, right=False)
    assert progress_of(enrolment, quiz).status == "in_progress"


def test_submitting_a_passed_quiz_again_is_harmless(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt))
    completed_at = progress_of(enrolment, quiz).completed_at

    again = quizzes.attempt_submit(attempt=attempt, responses={})

    assert (again.score, again.passed) == (100.0, True)
    progress = progress_of(enrolment, quiz)
    assert (progress.status, progress.score, progress.completed_at) == (
        "completed",
        100.0,
        completed_at,
    )


def test_malformed_responses_are_graded_as_wrong(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    graded = quizzes.attempt_submit(attempt=attempt, responses=["not", "a", "mapping"])  # type: ignore[arg-type]
    assert (graded.score, graded.responses) == (0.0, {})


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("best", 66.67), ("last", 0.0)],
)
def test_policy_decides_which_attempt_counts(pm, master, candidate, policy, expected):
    enrolment, quiz = quiz_for(pm, master, candidate, policy=policy)
    first = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    answers = attempt_answers(first)
    answers.pop(str(first.served[2]["qid"]))
    assert quizzes.attempt_submit(attempt=first, responses=answers).score == 66.67
    second = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    assert quizzes.attempt_submit(attempt=second, responses={}).score == 0.0

    progress = progress_of(enrolment, quiz)

    assert (progress.status, progress.score) == ("in_progress", expected)


# --- Time limits ----------------------------------------------------------------------------


def test_a_timed_attempt_has_a_deadline(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10)
    with time_machine.travel(T0, tick=False):
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    assert attempt.deadline == datetime(2026, 11, 2, 9, 10, tzinfo=UTC)


def test_a_late_submit_grades_only_what_was_autosaved(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10)
    with time_machine.travel(T0, tick=False) as clock:
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        clock.shift(timedelta(minutes=5))
        quizzes.attempt_save_responses(attempt=attempt, responses=one_right(attempt))
        clock.shift(timedelta(minutes=5, seconds=31))  # past the deadline and its grace
        quizzes.attempt_save_responses(attempt=attempt, responses=attempt_answers(attempt))

        graded = quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt))

    assert graded.responses == one_right(attempt)
    assert (graded.score, graded.passed) == (33.33, False)


def test_a_submit_within_the_grace_period_counts_in_full(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10)
    with time_machine.travel(T0, tick=False) as clock:
        attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        clock.shift(timedelta(minutes=10, seconds=29))
        graded = quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt))
    assert (graded.score, graded.passed) == (100.0, True)


def test_starting_after_the_deadline_grades_the_old_attempt_and_opens_a_new_one(
    pm, master, candidate
):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10)
    with time_machine.travel(T0, tick=False) as clock:
        old = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        quizzes.attempt_save_responses(attempt=old, responses=one_right(old))
        clock.shift(timedelta(minutes=11))

        new = quizzes.attempt_start(enrolment=enrolment, step=quiz)

    old.refresh_from_db()
    assert (old.score, old.passed, old.submitted_at is not None) == (33.33, False, True)
    assert (new.number, new.submitted_at) == (2, None)


def test_an_expired_last_attempt_is_graded_even_though_no_new_one_may_start(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10, attempts_limit=1)
    with time_machine.travel(T0, tick=False) as clock:
        old = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        quizzes.attempt_save_responses(attempt=old, responses=attempt_answers(old))
        clock.shift(timedelta(minutes=11))

        error = refused(quizzes.attempt_start, enrolment=enrolment, step=quiz)

    assert error.code == "already_passed"
    old.refresh_from_db()
    assert (old.score, old.passed) == (100.0, True)
    assert progress_of(enrolment, quiz).status == "completed"


def test_an_expired_attempt_using_the_last_try_fails_the_step(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate, time_limit_minutes=10, attempts_limit=1)
    with time_machine.travel(T0, tick=False) as clock:
        old = quizzes.attempt_start(enrolment=enrolment, step=quiz)
        clock.shift(timedelta(hours=2))
        assert (
            refused(quizzes.attempt_start, enrolment=enrolment, step=quiz).code
            == "no_attempts_left"
        )
    old.refresh_from_db()
    assert (old.score, old.passed) == (0.0, False)
    assert progress_of(enrolment, quiz).status == "failed"


def test_autosave_is_ignored_once_submitted(pm, master, candidate):
    enrolment, quiz = quiz_for(pm, master, candidate)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    quizzes.attempt_submit(attempt=attempt, responses={})
    quizzes.attempt_save_responses(attempt=attempt, responses=attempt_answers(attempt))
    attempt.refresh_from_db()
    assert attempt.responses == {}


# --- At the same moment, on real threads ---------------------------------------------------


def run_together(call: Callable[..., Any], kwargs_list: list[dict[str, Any]]) -> list[Any]:
    """Run ``call`` once per kwargs on its own thread, released together; return the results
    (or raise the first error). Each thread closes its own database connection."""
    barrier = threading.Barrier(len(kwargs_list))
    results: list[Any] = []
    errors: list[BaseException] = []

    def work(kwargs: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=10)
            for _try in range(500):
                try:
                    results.append(call(**kwargs))
                    return
                except OperationalError as exc:
                    # SQLite's shared-cache test database reports a busy table at once instead
                    # of waiting: retry, as a browser's retried POST would.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("the database stayed locked")
        except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(kwargs,)) for kwargs in kwargs_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def trio(make_person):
    return make_person("program_manager"), make_person("master_trainer"), make_person("trainer")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_grade_the_attempt_once(trio):
    enrolment, quiz = quiz_for(*trio)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=quiz)
    right, wrong = attempt_answers(attempt), attempt_answers(attempt, right=False)

    graded = run_together(
        quizzes.attempt_submit,
        [
            {"attempt": QuizAttempt.objects.get(pk=attempt.pk), "responses": right},
            {"attempt": QuizAttempt.objects.get(pk=attempt.pk), "responses": wrong},
        ],
    )

    attempt.refresh_from_db()
    assert [(g.score, g.passed, g.submitted_at) for g in graded] == [
        (attempt.score, attempt.passed, attempt.submitted_at)
    ] * 2
    assert attempt.score in (0.0, 100.0)
    progress = progress_of(enrolment, quiz)
    assert progress.status == ("completed" if attempt.passed else "in_progress")
    assert QuizAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_starts_open_one_attempt(trio):
    enrolment, quiz = quiz_for(*trio)

    started = run_together(
        quizzes.attempt_start,
        [{"enrolment": enrolment, "step": quiz}, {"enrolment": enrolment, "step": quiz}],
    )

    assert len({a.pk for a in started}) == 1
    assert QuizAttempt.objects.count() == 1
    assert StepProgress.objects.count() == 1


# --- Lessons --------------------------------------------------------------------------------


def test_lesson_complete_is_idempotent(pm, master, candidate):
    enrolment, (lesson, _other) = path_for(
        pm, master, candidate, [{"kind": "lesson"}, {"kind": "lesson"}]
    )
    first = svc.lesson_complete(enrolment=enrolment, step=lesson)
    completed_at = first.completed_at
    second = svc.lesson_complete(enrolment=enrolment, step=lesson)
    assert (second.pk, second.status, second.completed_at) == (first.pk, "completed", completed_at)
    assert StepProgress.objects.count() == 1


def test_lesson_complete_refuses_other_kinds(pm, master, candidate):
    enrolment, (reflection,) = path_for(pm, master, candidate, [{"kind": "reflection"}])
    assert refused(svc.lesson_complete, enrolment=enrolment, step=reflection).code == "wrong_kind"


# --- Reflections ----------------------------------------------------------------------------


def reflection_path(pm, master, candidate):
    enrolment, (reflection, _lesson) = path_for(
        pm,
        master,
        candidate,
        [
            {"kind": "reflection", "title": "Looking back", "config": {"min_words": 5}},
            {"kind": "lesson"},
        ],
    )
    return enrolment, reflection


def test_reflection_needs_the_minimum_words(pm, master, candidate):
    enrolment, reflection = reflection_path(pm, master, candidate)

    error = refused(
        svc.reflection_submit, enrolment=enrolment, step=reflection, text="one two  three\nfour"
    )

    assert (error.code, error.message) == ("too_short", "Write at least 5 words (you wrote 4).")
    assert StepProgress.objects.count() == 0
    assert ReflectionEntry.objects.count() == 0


def test_reflection_completes_the_step_and_asks_the_master_to_reply(pm, master, candidate):
    enrolment, reflection = reflection_path(pm, master, candidate)

    progress = svc.reflection_submit(
        enrolment=enrolment, step=reflection, text="one two three four five"
    )

    assert (progress.status, progress.reflection.text) == ("completed", "one two three four five")
    note = master.notifications.get(kind="to_review")
    assert (note.title, note.url) == (
        "Casey Candidate wrote a reflection: “Looking back”",
        reverse("learning:review", args=[progress.pk]),
    )


def test_reflection_can_be_rewritten_until_replied_to(pm, master, candidate):
    enrolment, reflection = reflection_path(pm, master, candidate)
    svc.reflection_submit(enrolment=enrolment, step=reflection, text="first draft of my thoughts")
    progress = svc.reflection_submit(
        enrolment=enrolment, step=reflection, text="second draft of my thoughts"
    )
    assert ReflectionEntry.objects.get().text == "second draft of my thoughts"

    entry = svc.reflection_reply(progress=progress, actor=master, text="Good point about drafts.")
    error = refused(
        svc.reflection_submit,
        enrolment=enrolment,
        step=reflection,
        text="third draft of my thoughts",
    )

    assert error.code == "replied"
    entry.refresh_from_db()
    assert (entry.text, entry.reply, entry.replied_by) == (
        "second draft of my thoughts",
        "Good point about drafts.",
        master,
    )
    note = candidate.notifications.get(kind="review")
    assert (note.title, note.body, note.url) == (
        f"{master} replied to your reflection",
        "Good point about drafts.",
        reverse("learning:step", args=[enrolment.cohort_id, reflection.pk]),
    )


def test_reflection_reply_needs_a_reflection_and_text(pm, master, candidate):
    enrolment, reflection = reflection_path(pm, master, candidate)
    progress = svc.progress_get_or_start(enrolment=enrolment, step=reflection)
    assert (
        refused(svc.reflection_reply, progress=progress, actor=master, text="Hi").code
        == "no_reflection"
    )
    svc.reflection_submit(enrolment=enrolment, step=reflection, text="a b c d e")
    assert refused(svc.reflection_reply, progress=progress, actor=master, text="  ").code == "empty"
    assert ReflectionEntry.objects.get().replied_at is None


# --- Mentoring ------------------------------------------------------------------------------


def test_mentoring_completes_after_the_required_meetings(pm, master, candidate):
    enrolment, (meeting,) = path_for(
        pm, master, candidate, [{"kind": "mentoring", "config": {"meetings_required": 2}}]
    )
    with time_machine.travel(T0, tick=False):
        first = svc.mentoring_log(
            enrolment=enrolment,
            step=meeting,
            met_on=date(2026, 10, 20),
            notes="Goals",
            actions="Read",
            actor=candidate,
        )
        after_one = progress_of(enrolment, meeting).status
        svc.mentoring_log(
            enrolment=enrolment,
            step=meeting,
            met_on=date(2026, 11, 2),
            notes="",
            actions="",
            actor=master,
        )

    assert after_one == "in_progress"
    assert (first.met_on, first.notes, first.actions, first.logged_by) == (
        date(2026, 10, 20),
        "Goals",
        "Read",
        candidate,
    )
    assert progress_of(enrolment, meeting).status == "completed"
    assert list(progress_of(enrolment, meeting).meetings.values_list("met_on", flat=True)) == [
        date(2026, 11, 2),
        date(2026, 10, 20),
    ]


def test_mentoring_refuses_a_future_date(pm, master, candidate):
    enrolment, (meeting,) = path_for(pm, master, candidate, [{"kind": "mentoring"}])
    with time_machine.travel(T0, tick=False):
        error = refused(
            svc.mentoring_log,
            enrolment=enrolment,
            step=meeting,
            met_on=date(2026, 11, 3),
            notes="",
            actions="",
            actor=candidate,
        )
    assert error.code == "future_date"
    assert MentoringLog.objects.count() == 0
    assert StepProgress.objects.count() == 0


# --- Task sign-off --------------------------------------------------------------------------


def task_path(pm, master, candidate, mentor=None):
    enrolment, (task,) = path_for(
        pm,
        master,
        candidate,
        [{"kind": "on_the_job", "title": "Run a huddle", "config": {"checklist": ["Plan", "Run"]}}],
    )
    if mentor is not None:
        cohort_svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    return enrolment, task


def test_task_submit_waits_for_review_and_notifies_reviewers(pm, master, candidate, make_person):
    mentor = make_person("trainer")
    enrolment, task = task_path(pm, master, candidate, mentor=mentor)

    progress = svc.task_submit(
        enrolment=enrolment, step=task, checked_items=[1, 0, 1, 7], note="Did it"
    )

    assert (progress.status, progress.checklist, progress.submission) == (
        "submitted",
        [0, 1],
        "Did it",
    )
    assert progress.submitted_at is not None
    for reviewer in (master, mentor):
        assert list(reviewer.notifications.values_list("kind", "title")) == [
            ("to_review", "Casey Candidate submitted “Run a huddle” for sign-off")
        ]


@pytest.mark.parametrize(
    ("ticks", "note", "code"),
    [([0], "Did it", "checklist_incomplete"), ([0, 1], "   ", "evidence_missing")],
)
def test_task_submit_refusals_change_nothing(pm, master, candidate, ticks, note, code):
    enrolment, task = task_path(pm, master, candidate)
    assert (
        refused(
            svc.task_submit, enrolment=enrolment, step=task, checked_items=ticks, note=note
        ).code
        == code
    )
    assert StepProgress.objects.count() == 0
    assert Notification.objects.filter(kind="to_review").count() == 0


def test_approving_work_completes_it_tells_the_candidate_and_is_audited(pm, master, candidate):
    enrolment, task = task_path(pm, master, candidate)
    submitted = svc.task_submit(enrolment=enrolment, step=task, checked_items=[0, 1], note="Done")

    signed = svc.work_sign_off(progress=submitted, actor=master, approve=True, note="Well done")

    assert (signed.status, signed.signed_off_by, signed.reviewer_note) == (
        "completed",
        master,
        "Well done",
    )
    assert list(candidate.notifications.values_list("kind", "title", "body")) == [
        ("review", "“Run a huddle” is signed off", "Well done")
    ]
    entry = AuditEntry.objects.get(action="learning.work.signed_off")
    assert (entry.actor, entry.target_id, entry.changes) == (
        master,
        str(signed.pk),
        {"note": "Well done"},
    )
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"


def test_returning_work_asks_for_more_and_is_audited(pm, master, candidate):
    enrolment, task = task_path(pm, master, candidate)
    submitted = svc.task_submit(enrolment=enrolment, step=task, checked_items=[0, 1], note="Done")

    returned = svc.work_sign_off(
        progress=submitted, actor=master, approve=False, note="Add a photo"
    )

    returned.refresh_from_db()
    assert (returned.status, returned.reviewer_note, returned.signed_off_by) == (
        "in_progress",
        "Add a photo",
        None,
    )
    assert list(candidate.notifications.values_list("title", "body")) == [
        ("“Run a huddle” needs more work", "Add a photo")
    ]
    assert (
        AuditEntry.objects.filter(
            action="learning.work.returned", target_id=str(returned.pk)
        ).count()
        == 1
    )
    # and it can be submitted again
    again = svc.task_submit(
        enrolment=enrolment, step=task, checked_items=[0, 1], note="Photo added"
    )
    assert again.status == "submitted"


def test_signing_off_what_was_not_submitted_is_refused(pm, master, candidate):
    enrolment, task = task_path(pm, master, candidate)
    progress = svc.progress_get_or_start(enrolment=enrolment, step=task)

    error = refused(svc.work_sign_off, progress=progress, actor=master, approve=True)

    assert error.code == "not_submitted"
    progress.refresh_from_db()
    assert (progress.status, progress.signed_off_by) == ("in_progress", None)
    assert Notification.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="learning.work.").exists()


def test_signing_off_twice_is_refused_the_second_time(pm, master, candidate):
    enrolment, task = task_path(pm, master, candidate)
    submitted = svc.task_submit(enrolment=enrolment, step=task, checked_items=[0, 1], note="Done")
    svc.work_sign_off(progress=submitted, actor=master, approve=True)
    assert (
        refused(svc.work_sign_off, progress=submitted, actor=master, approve=False).code
        == "not_submitted"
    )
    assert progress_of(enrolment, task).status == "completed"


def test_a_signed_off_task_cannot_be_resubmitted(pm, master, candidate):
    enrolment, task = task_path(pm, master, candidate)
    submitted = svc.task_submit(enrolment=enrolment, step=task, checked_items=[0, 1], note="Done")
    svc.work_sign_off(progress=submitted, actor=master, approve=True)
    error = refused(
        svc.task_submit, enrolment=enrolment, step=task, checked_items=[0, 1], note="More"
    )
    assert error.code == "already_complete"
    assert progress_of(enrolment, task).submission == "Done"


# --- Attendance -----------------------------------------------------------------------------


def test_attendance_attended_completes_and_missed_fails(pm, master, candidate):
    enrolment, (session,) = path_for(pm, master, candidate, [{"kind": "live_session"}])

    missed = svc.attendance_record(enrolment=enrolment, step=session, attended=False, actor=master)
    assert missed.status == "failed"
    attended = svc.attendance_record(enrolment=enrolment, step=session, attended=True, actor=master)

    assert (attended.pk, attended.status, attended.signed_off_by) == (
        missed.pk,
        "completed",
        master,
    )
    assert list(
        AuditEntry.objects.filter(action="learning.attendance.recorded")
        .order_by("id")
        .values_list("changes", flat=True)
    ) == [{"attended": False}, {"attended": True}]


def test_attendance_refuses_other_kinds_and_other_versions(pm, master, candidate):
    enrolment, (lesson,) = path_for(pm, master, candidate, [{"kind": "lesson"}])
    _program, (foreign,) = build_path(pm, [{"kind": "live_session"}], slug="other")

    assert (
        refused(
            svc.attendance_record, enrolment=enrolment, step=lesson, attended=True, actor=master
        ).code
        == "wrong_kind"
    )
    error = refused(
        svc.attendance_record, enrolment=enrolment, step=foreign, attended=True, actor=master
    )
    assert (error.code, error.status) == ("wrong_version", 404)
    assert StepProgress.objects.count() == 0
    assert not AuditEntry.objects.filter(action="learning.attendance.recorded").exists()
