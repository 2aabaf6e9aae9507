"""A candidate works through lesson → quiz (fail, retry, pass) → on-the-job task → sign-off by
the mentor, in a real browser, on a desktop and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from cascade.learning.models import Enrolment, ProgressStatus, StepProgress
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import programs as program_svc
from cascade.learning.tests.factories import build_path, build_program, open_cohort
from cascade.learning.tests.test_views_path import every_kind_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _look(page, axe_check, screenshot, name: str, *, phone: bool = False) -> None:
    """Check accessibility and keep a screenshot (and a phone one when asked)."""
    axe_check(page)
    screenshot(page, name)
    if phone:
        page.set_viewport_size(PHONE)
        axe_check(page)
        screenshot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)


def _answer(page, *, right: bool) -> None:
    """Answer the three questions of the factories' quiz, all right or all wrong."""
    page.get_by_label("Why did that happen?" if right else "Is it Tuesday?").check()
    page.get_by_label("Your answer").fill("Wait time" if right else "silence")
    truth = page.get_by_role("group", name=re.compile("Adults learn best by listening only"))
    truth.get_by_label("False" if right else "True", exact=True).check()


def progress_of(enrolment: Enrolment, step) -> StepProgress:
    return StepProgress.objects.get(enrolment=enrolment, step=step)


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def test_a_candidate_works_through_the_path_and_the_mentor_signs_off(
    page, live_server, make_person, login, axe_check, screenshot, tmp_path
):
    # given a published program (its lesson has a handout), a cohort that started ten days ago,
    # a candidate enrolled in it and their mentor
    pm = make_person("program_manager", email="pm@example.org", display_name="Pat Manager")
    master = make_person("master_trainer", email="master@example.org", display_name="Max Master")
    mentor = make_person("trainer", email="mentor@example.org", display_name="Mo Mentor")
    candidate = make_person("trainer", email="cam@example.org", display_name="Cam Candidate")
    program, steps = build_program(pm, publish=False)
    program_svc.resource_add(
        step=steps["lesson"],
        upload=SimpleUploadedFile("question-types.pdf", PDF),
        title="Question types (handout)",
    )
    program_svc.version_publish(version=steps["lesson"].version, actor=pm)
    cohort = open_cohort(
        program, pm, masters=[master], start=timezone.localdate() - timedelta(days=10)
    )
    cohort_svc.cohort_enrol(cohort=cohort, people=[candidate], actor=pm)
    enrolment = Enrolment.objects.get(person=candidate)
    cohort_svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)

    # when the candidate signs in and opens their programs
    login(page, candidate.email)
    page.goto(f"{live_server.url}/learn/")
    expect(page.get_by_role("heading", name="Your programs")).to_be_visible()
    expect(page.get_by_text("0 of 3 required steps done")).to_be_visible()
    expect(page.get_by_text("1 overdue")).to_be_visible()
    _look(page, axe_check, screenshot, "path-my-programs", phone=True)

    # and opens the path: the lesson is next (and overdue), the rest waits for it
    page.get_by_role("link", name="Facilitation basics", exact=True).click()
    expect(page.get_by_role("heading", name="Facilitation basics", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Asking questions")).to_be_visible()
    expect(page.get_by_text("Opens after: Asking questions")).to_be_visible()
    _look(page, axe_check, screenshot, "path-my-path", phone=True)

    # reads the lesson and marks it complete
    page.get_by_role("link", name="Start Asking questions").click()
    assert page.get_by_role(
        "heading", name="Questions", exact=True
    ).is_visible()  # the lesson's Markdown
    expect(page.get_by_role("link", name="Question types (handout)")).to_be_visible()
    _look(page, axe_check, screenshot, "path-lesson", phone=True)
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("“Asking questions” is complete.")).to_be_visible()

    # takes the quiz and answers wrongly
    page.get_by_role("link", name="Start Check: questions").click()
    expect(page.get_by_text("0 of 3 used, 3 left")).to_be_visible()
    _look(page, axe_check, screenshot, "path-quiz-intro")
    page.get_by_role("button", name="Start attempt").click()
    expect(page.get_by_text("Question 1 of 3")).to_be_visible()
    _answer(page, right=False)
    _look(page, axe_check, screenshot, "path-quiz-attempt", phone=True)
    page.get_by_role("button", name="Submit answers").click()

    # sees the result, with the right answers and a way to try again
    expect(page.get_by_role("heading", name="Your result: Check: questions")).to_be_visible()
    expect(page.get_by_text("Not passed", exact=True)).to_be_visible()
    expect(page.get_by_text("0 of 3 questions right")).to_be_visible()
    expect(page.get_by_text("2 attempts left")).to_be_visible()
    _look(page, axe_check, screenshot, "path-quiz-result-failed", phone=True)

    # retries and passes
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_text("Attempt 2")).to_be_visible()
    _answer(page, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    expect(page.get_by_text("3 of 3 questions right")).to_be_visible()
    assert page.get_by_role("button", name="Try again").count() == 0
    _look(page, axe_check, screenshot, "path-quiz-result-passed", phone=True)

    # submits the on-the-job task with a file
    page.get_by_role("link", name="Back to your path").click()
    page.get_by_role("link", name="Start Run a huddle").click()
    page.get_by_label("Plan three questions").check()
    page.get_by_label("Run the huddle").check()
    page.get_by_label("What did you do?").fill("Ran a huddle with the night shift on Tuesday.")
    evidence = tmp_path / "huddle-plan.txt"
    evidence.write_text("1. What went well?\n2. What surprised you?\n3. What next?\n")
    page.get_by_label("Evidence files").set_input_files(str(evidence))
    _look(page, axe_check, screenshot, "path-task-form", phone=True)
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.get_by_text("Submitted. Your reviewer has been told.")).to_be_visible()
    expect(page.get_by_text("Waiting for sign-off.")).to_be_visible()
    expect(page.get_by_role("link", name="huddle-plan.txt")).to_be_visible()
    _look(page, axe_check, screenshot, "path-task-submitted")
    _sign_out(page)

    # then the mentor signs in, is told, opens the review from their queue and approves
    login(page, mentor.email)
    page.get_by_role("link", name=re.compile("^Notifications, 1 unread")).click()
    told = page.get_by_role("link", name="Cam Candidate submitted “Run a huddle” for sign-off")
    assert told.get_attribute("href") == f"/review/{progress_of(enrolment, steps['task']).pk}/"
    page.goto(f"{live_server.url}/review/")
    expect(page.get_by_role("cell", name="Cam Candidate", exact=True)).to_be_visible()
    _look(page, axe_check, screenshot, "review-queue-waiting", phone=True)
    page.get_by_role("link", name="Review Run a huddle · Cam Candidate").click()
    expect(page.get_by_role("heading", name="Run a huddle")).to_be_visible()
    expect(page.get_by_text("Ran a huddle with the night shift on Tuesday.")).to_be_visible()
    expect(page.get_by_role("link", name="huddle-plan.txt")).to_be_visible()
    _look(page, axe_check, screenshot, "review-page", phone=True)
    page.get_by_label("Note to the candidate").fill("Good open questions. Well done!")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name="To review")).to_be_visible()
    expect(page.get_by_text("“Run a huddle” by Cam Candidate is signed off.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your sign-off.")).to_be_visible()
    _look(page, axe_check, screenshot, "review-queue-done")
    _sign_out(page)

    # and the candidate sees the step completed
    login(page, candidate.email)
    page.goto(f"{live_server.url}/learn/{cohort.pk}/")
    expect(page.get_by_text("3 of 3 required steps done")).to_be_visible()
    expect(page.get_by_text("You have completed every required step")).to_be_visible()
    _look(page, axe_check, screenshot, "path-complete", phone=True)
    page.get_by_role("link", name="Run a huddle").click()
    expect(page.get_by_text("Mo Mentor signed this off")).to_be_visible()
    expect(page.get_by_text("Good open questions. Well done!")).to_be_visible()
    _look(page, axe_check, screenshot, "path-task-signed-off")
    progress = progress_of(enrolment, steps["task"])
    assert (progress.status, progress.signed_off_by) == (ProgressStatus.COMPLETED, mentor)
    _sign_out(page)

    # and the cohort dashboard shows it to the master trainer
    login(page, master.email)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    row = page.get_by_role("row").filter(has_text="Cam Candidate")
    expect(row.get_by_text("100%")).to_be_visible()
    _look(page, axe_check, screenshot, "cohort-dashboard-after-path")


def test_a_timed_quiz_with_every_kind_of_question_works_on_a_phone(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a quiz with a question of each kind and a ten-minute limit
    pm = make_person("program_manager")
    learner = make_person("learner", email="lee@example.org", display_name="Lee Learner")
    program, quiz = every_kind_quiz(pm, time_limit_minutes=10)
    cohort = open_cohort(program, pm)
    cohort_svc.cohort_enrol(cohort=cohort, people=[learner], actor=pm, notify=False)
    page.set_viewport_size(PHONE)
    page.set_default_timeout(10_000)

    # when the learner starts the quiz on a phone
    login(page, learner.email)
    page.goto(f"{live_server.url}/learn/{cohort.pk}/steps/{quiz.pk}/")
    expect(page.get_by_text("10 minutes")).to_be_visible()
    page.get_by_role("button", name="Start attempt").click()

    # then the countdown runs and every kind of question can be answered
    timer = page.get_by_role("timer")
    expect(timer).to_be_visible()
    # The script replaces the server's "until 12:31" with a running clock; a loaded machine may
    # take a moment to run it, so wait for the clock rather than reading it once.
    expect(page.locator("[data-countdown-clock]")).to_have_text(re.compile(r"^(9:[0-5]\d|10:00)$"))
    page.get_by_label("Why?").check()
    page.get_by_label("Relevance").check()
    page.get_by_label("Experience").check()
    group = page.get_by_role("group", name=re.compile("Adults learn only by listening"))
    group.get_by_label("False").check()
    page.get_by_label("Your answer").fill("zebra wait time")
    for position, item in enumerate(["Open", "Explore", "Close"], start=1):
        page.get_by_label(item, exact=True).select_option(str(position))
    page.get_by_label("Pause", exact=True).select_option(label="Wait")
    page.get_by_label("Ask", exact=True).select_option(label="Wait")  # one wrong match
    axe_check(page)
    screenshot(page, "path-quiz-every-kind-phone")
    page.set_viewport_size(DESKTOP)
    axe_check(page)
    screenshot(page, "path-quiz-every-kind")
    page.get_by_role("button", name="Submit answers").click()

    # and the result gives partial credit for the matching question
    expect(page.get_by_text("Partly right")).to_be_visible()
    expect(page.get_by_text("5 of 6 questions right")).to_be_visible()
    assert page.get_by_text("shown once you pass or have no attempt left").is_visible()
    axe_check(page)
    screenshot(page, "path-quiz-every-kind-result")


def test_the_other_kinds_of_step_and_their_review_are_accessible(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a path with a reflection, a mentoring meeting, a live session and a teach-back
    pm = make_person("program_manager")
    master = make_person("master_trainer", email="max@example.org", display_name="Max Master")
    candidate = make_person(
        "trainer", email="kim@example.org", display_name="Kim Candidate", time_zone="Europe/Paris"
    )
    program, (reflection, mentoring, live, teach) = build_path(
        pm,
        [
            {
                "kind": "reflection",
                "title": "What surprised you?",
                "body": "Think of **one** moment in your last session.",
                "config": {"min_words": 3},
            },
            {"kind": "mentoring", "title": "Meet your mentor", "config": {"meetings_required": 2}},
            {
                "kind": "live_session",
                "title": "Workshop day",
                "body": "Bring your lesson plan.",
                "config": {
                    "starts_at": "2026-12-03T09:00:00+00:00",
                    "ends_at": "2026-12-03T12:30:00+00:00",
                    "venue": "Training room 4, District Hospital",
                    "join_url": "https://meet.example.org/workshop",
                },
            },
            {
                "kind": "teach_back",
                "title": "Teach it back",
                "body": "Teach a **five**-minute slice.",
            },
        ],
        slug="kinds",
    )
    cohort = open_cohort(program, pm, masters=[master])
    cohort_svc.cohort_enrol(cohort=cohort, people=[candidate], actor=pm, notify=False)
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    login(page, candidate.email)

    # when the candidate writes a reflection
    page.goto(f"{live_server.url}/learn/{cohort.pk}/steps/{reflection.pk}/")
    page.get_by_label("Your reflection").fill("Too short")
    page.get_by_role("button", name="Submit reflection").click()
    expect(page.get_by_text("Write at least 3 words (you wrote 2).")).to_be_visible()
    _look(page, axe_check, screenshot, "path-reflection-error", phone=True)
    page.get_by_label("Your reflection").fill("The quiet learner asked the best question.")
    page.get_by_role("button", name="Submit reflection").click()
    expect(page.get_by_text("Your reflection is saved.", exact=True)).to_be_visible()

    # logs a mentoring meeting, and looks at the live session and the teach-back
    page.goto(f"{live_server.url}/learn/{cohort.pk}/steps/{mentoring.pk}/")
    page.get_by_label("What you discussed").fill("Pacing and open questions")
    page.get_by_label("Agreed actions").fill("Film one session")
    page.get_by_role("button", name="Log meeting").click()
    expect(page.get_by_text("The meeting is logged.")).to_be_visible()
    expect(page.get_by_text("1 logged so far.")).to_be_visible()
    _look(page, axe_check, screenshot, "path-mentoring", phone=True)
    page.goto(f"{live_server.url}/learn/{cohort.pk}/steps/{live.pk}/")
    assert page.get_by_text("Thursday 3 December 2026, 10:00").is_visible()  # Paris time
    expect(page.get_by_role("link", name=re.compile("Join the session"))).to_be_visible()
    _look(page, axe_check, screenshot, "path-live-session", phone=True)
    page.goto(f"{live_server.url}/learn/{cohort.pk}/steps/{teach.pk}/")
    page.get_by_label("Or a link to the recording").fill("https://video.example.org/kim")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Waiting for sign-off.")).to_be_visible()
    _look(page, axe_check, screenshot, "path-teach-back", phone=True)
    _sign_out(page)

    # then the master trainer replies to the reflection and records attendance
    login(page, master.email)
    page.goto(f"{live_server.url}/review/")
    page.get_by_role("link", name="Reply What surprised you? · Kim Candidate").click()
    expect(page.get_by_text("The quiet learner asked the best question.")).to_be_visible()
    _look(page, axe_check, screenshot, "review-reflection", phone=True)
    page.get_by_label("Your reply").fill("Lovely noticing. What did you do next?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    page.get_by_role("button", name="Attended Workshop day").click()
    expect(page.get_by_text("Attendance at “Workshop day” is recorded.")).to_be_visible()
    _look(page, axe_check, screenshot, "review-reflection-replied")
    assert progress_of(Enrolment.objects.get(person=candidate), live).status == "completed"
