"""A candidate's whole path through the services: lesson → quiz (fail, pass) → task → sign-off."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cascade.core.errors import ApplicationError
from cascade.learning.models import Enrolment, ProgressStatus, StepProgress
from cascade.learning.quiz import public
from cascade.learning.selectors import enrolment_path
from cascade.learning.services import cohorts, progress, quizzes
from cascade.learning.tests.factories import build_program, open_cohort


def _answers(attempt, *, right: bool):
    responses = {}
    for item in attempt.served:
        key = item["key"]
        if item["kind"] in ("single", "true_false"):
            wrong = [o["token"] for o in item["options"] if o["token"] not in key["correct"]]
            responses[str(item["qid"])] = key["correct"][0] if right else wrong[0]
        elif item["kind"] == "short":
            responses[str(item["qid"])] = "  Wait TIME. " if right else "silence"
    return responses


@pytest.mark.django_db
def test_candidate_works_through_the_path_and_completes(make_person):
    pm = make_person("program_manager")
    master = make_person("master_trainer")
    candidate = make_person("trainer")
    program, steps = build_program(pm)
    cohort = open_cohort(program, pm, masters=[master])
    cohorts.cohort_enrol(cohort=cohort, people=[candidate], actor=pm)
    enrolment = Enrolment.objects.get(person=candidate)

    path = enrolment_path(enrolment)
    assert path.next_step.step.id == steps["lesson"].pk
    assert [s.unlocked for s in path.steps] == [True, False, False, True]

    with pytest.raises(ApplicationError) as locked:
        quizzes.attempt_start(enrolment=enrolment, step=steps["quiz"])
    assert locked.value.code == "step_locked"

    progress.lesson_complete(enrolment=enrolment, step=steps["lesson"])
    first = quizzes.attempt_start(enrolment=enrolment, step=steps["quiz"])
    assert all("key" not in item for item in public(first.served))
    graded = quizzes.attempt_submit(attempt=first, responses=_answers(first, right=False))
    assert (graded.score, graded.passed) == (0.0, False)
    again = quizzes.attempt_submit(attempt=first, responses=_answers(first, right=True))
    assert (again.score, again.passed) == (0.0, False)  # graded once

    second = quizzes.attempt_start(enrolment=enrolment, step=steps["quiz"])
    assert second.number == 2
    assert quizzes.attempt_submit(attempt=second, responses=_answers(second, right=True)).passed
    quiz_progress = StepProgress.objects.get(enrolment=enrolment, step=steps["quiz"])
    assert (quiz_progress.status, quiz_progress.score) == (ProgressStatus.COMPLETED, 100.0)

    evidence = SimpleUploadedFile("plan.txt", b"three open questions", content_type="text/plain")
    submitted = progress.task_submit(
        enrolment=enrolment,
        step=steps["task"],
        checked_items=[0, 1],
        note="Ran it on Tuesday",
        uploads=[evidence],
    )
    assert submitted.status == ProgressStatus.SUBMITTED
    assert master.notifications.filter(kind="to_review").count() == 1

    progress.work_sign_off(progress=submitted, actor=master, approve=True, note="Well done")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED  # the reflection is optional
    assert candidate.notifications.filter(kind="review").count() == 1


@pytest.mark.django_db
def test_a_fake_pdf_is_refused_and_nothing_is_submitted(make_person):
    pm = make_person("program_manager")
    candidate = make_person("trainer")
    program, steps = build_program(pm)
    cohort = open_cohort(program, pm)
    cohorts.cohort_enrol(cohort=cohort, people=[candidate], actor=pm)
    enrolment = Enrolment.objects.get(person=candidate)
    progress.lesson_complete(enrolment=enrolment, step=steps["lesson"])
    attempt = quizzes.attempt_start(enrolment=enrolment, step=steps["quiz"])
    quizzes.attempt_submit(attempt=attempt, responses=_answers(attempt, right=True))
    fake = SimpleUploadedFile(
        "evidence.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
    )

    with pytest.raises(ApplicationError) as refused:
        progress.task_submit(
            enrolment=enrolment, step=steps["task"], checked_items=[0, 1], uploads=[fake]
        )

    assert refused.value.code == "upload_content"
    assert not StepProgress.objects.filter(enrolment=enrolment, step=steps["task"]).exists()
