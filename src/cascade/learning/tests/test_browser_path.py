"""A candidate works through lesson → quiz (fail, retry, pass) → on-the-job task → sign-off by
the mentor, in a real browser, on a desktop and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cascade.learning.models import Enrolment, ProgressStatus, StepProgress
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import programs as program_svc
from cascade.learning.tests.factories import build_program, open_cohort

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
    assert page.get_by_role("heading", name="Your programs").is_visible()
    assert page.get_by_text("0 of 3 required steps done").is_visible()
    assert page.get_by_text("1 overdue").is_visible()
    _look(page, axe_check, screenshot, "path-my-programs", phone=True)

    # and opens the path: the lesson is next (and overdue), the rest waits for it
    page.get_by_role("link", name="Facilitation basics", exact=True).click()
    assert page.get_by_role("heading", name="Facilitation basics", level=1).is_visible()
    assert page.get_by_role("heading", name="Asking questions").is_visible()
    assert page.get_by_text("Opens after: Asking questions").is_visible()
    _look(page, axe_check, screenshot, "path-my-path", phone=True)

    # reads the lesson and marks it complete
    page.get_by_role("link", name="Start Asking questions").click()
    assert page.get_by_role("heading", name="Questions", exact=True).is_visible()  # the lesson's Markdown
    assert page.get_by_role("link", name="Question types (handout)").is_visible()
    _look(page, axe_check, screenshot, "path-lesson", phone=True)
    page.get_by_role("button", name="Mark as complete").click()
    assert page.get_by_text("“Asking questions” is complete.").is_visible()

    # takes the quiz and answers wrongly
    page.get_by_role("link", name="Start Check: questions").click()
    assert page.get_by_text("0 of 3 used, 3 left").is_visible()
    _look(page, axe_check, screenshot, "path-quiz-intro")
    page.get_by_role("button", name="Start attempt").click()
    assert page.get_by_text("Question 1 of 3").is_visible()
    _answer(page, right=False)
    _look(page, axe_check, screenshot, "path-quiz-attempt", phone=True)
    page.get_by_role("button", name="Submit answers").click()

    # sees the result, with the right answers and a way to try again
    assert page.get_by_role("heading", name="Your result: Check: questions").is_visible()
    assert page.get_by_text("Not passed", exact=True).is_visible()
    assert page.get_by_text("0 of 3 questions right").is_visible()
    assert page.get_by_text("2 attempts left").is_visible()
    _look(page, axe_check, screenshot, "path-quiz-result-failed", phone=True)

    # retries and passes
    page.get_by_role("button", name="Try again").click()
    assert page.get_by_text("Attempt 2").is_visible()
    _answer(page, right=True)
    page.get_by_role("button", name="Submit answers").click()
    assert page.get_by_text("Passed", exact=True).is_visible()
    assert page.get_by_text("3 of 3 questions right").is_visible()
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
    assert page.get_by_text("Submitted. Your reviewer has been told.").is_visible()
    assert page.get_by_text("Waiting for sign-off.").is_visible()
    assert page.get_by_role("link", name="huddle-plan.txt").is_visible()
    _look(page, axe_check, screenshot, "path-task-submitted")
    _sign_out(page)

    # then the mentor signs in, is told, opens the review from their queue and approves
    login(page, mentor.email)
    page.get_by_role("link", name=re.compile("^Notifications, 1 unread")).click()
    told = page.get_by_role("link", name="Cam Candidate submitted “Run a huddle” for sign-off")
    assert told.get_attribute("href") == f"/review/{progress_of(enrolment, steps['task']).pk}/"
    page.goto(f"{live_server.url}/review/")
    assert page.get_by_role("cell", name="Cam Candidate").is_visible()
    _look(page, axe_check, screenshot, "review-queue-waiting", phone=True)
    page.get_by_role("link", name="Review Run a huddle · Cam Candidate").click()
    assert page.get_by_role("heading", name="Run a huddle").is_visible()
    assert page.get_by_text("Ran a huddle with the night shift on Tuesday.").is_visible()
    assert page.get_by_role("link", name="huddle-plan.txt").is_visible()
    _look(page, axe_check, screenshot, "review-page", phone=True)
    page.get_by_label("Note to the candidate").fill("Good open questions. Well done!")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("heading", name="To review").is_visible()
    assert page.get_by_text("“Run a huddle” by Cam Candidate is signed off.").is_visible()
    assert page.get_by_text("Nothing is waiting for your sign-off.").is_visible()
    _look(page, axe_check, screenshot, "review-queue-done")
    _sign_out(page)

    # and the candidate sees the step completed
    login(page, candidate.email)
    page.goto(f"{live_server.url}/learn/{cohort.pk}/")
    assert page.get_by_text("3 of 3 required steps done").is_visible()
    assert page.get_by_text("You have completed every required step").is_visible()
    _look(page, axe_check, screenshot, "path-complete", phone=True)
    page.get_by_role("link", name="Run a huddle").click()
    assert page.get_by_text("Mo Mentor signed this off").is_visible()
    assert page.get_by_text("Good open questions. Well done!").is_visible()
    _look(page, axe_check, screenshot, "path-task-signed-off")
    progress = progress_of(enrolment, steps["task"])
    assert (progress.status, progress.signed_off_by) == (ProgressStatus.COMPLETED, mentor)
