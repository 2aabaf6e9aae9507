"""The demo's trainer development: Trainer Essentials with a cohort part-way through, a finished
earlier intake, a learner follow-up program, and nothing written (or mailed) twice."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cascade.core.models import Notification, NotificationKind
from cascade.demo.learning import (
    AUTUMN,
    FOLLOW_UP_COHORT,
    FOLLOW_UP_SLUG,
    SPRING,
    quiz_responses,
)
from cascade.demo.loader import load_demo
from cascade.demo.organisation import (
    CANDIDATE_EMAIL,
    LEARNER_EMAIL,
    MASTER_EMAIL,
    TRAINER_EMAIL,
)
from cascade.learning import rules
from cascade.learning.curriculum.install import TRAINER_ESSENTIALS_SLUG
from cascade.learning.models import (
    Audience,
    Cohort,
    Enrolment,
    EvidenceFile,
    ProgramVersion,
    ProgressStatus,
    QuizAttempt,
    ReflectionEntry,
    StepKind,
    StepProgress,
)
from cascade.learning.quiz import BankQuestion, clean_question, grade, serve
from cascade.learning.selectors import cohort_grid, enrolment_path
from cascade.people.models import Person


def _bank() -> list[BankQuestion]:
    """One question of each kind, validated as the builder would."""
    raw: list[tuple[str, dict[str, Any]]] = [
        ("single", {"options": [{"text": "a", "correct": True}, {"text": "b"}]}),
        (
            "multiple",
            {
                "options": [
                    {"text": "a", "correct": True},
                    {"text": "b", "correct": True},
                    {"text": "c"},
                ]
            },
        ),
        ("true_false", {"answer": True}),
        ("short", {"accepted": ["yes"]}),
        ("ordering", {"items": ["one", "two", "three"]}),
        ("matching", {"pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}]}),
    ]
    return [
        BankQuestion(id=i, kind=kind, prompt=kind, data=clean_question(kind, data))
        for i, (kind, data) in enumerate(raw, start=1)
    ]


@pytest.mark.parametrize("pass_mark", [50, 75, 80, 100])
def test_quiz_responses_pass_or_fail_as_asked(pass_mark: int) -> None:
    rng = random.Random(1)
    for _ in range(20):
        served = serve(_bank(), rng=random.Random(rng.random()))
        attempt = QuizAttempt(served=served)
        for passing in (True, False):
            _results, score = grade(
                served, quiz_responses(attempt, rng, passing=passing, pass_mark=pass_mark)
            )
            assert (score >= pass_mark) is passing, (pass_mark, passing, score)


@pytest.mark.django_db
def test_demo_shows_trainer_development() -> None:
    summary = load_demo()  # one load for all the checks: it takes a few seconds

    assert (summary.cohorts_created, summary.programs_created) == (3, 2)
    _check_spring_intake()
    _check_autumn_intake()
    _check_follow_up()
    _check_no_email()


def _check_spring_intake() -> None:
    """Trainer Essentials is published and the spring intake is part-way through."""
    spring = Cohort.objects.select_related("program", "version").get(
        name=SPRING, program__slug=TRAINER_ESSENTIALS_SLUG
    )
    assert spring.version.status == ProgramVersion.Status.PUBLISHED
    assert spring.program.title == "Trainer Essentials"
    master = Person.objects.get(email=MASTER_EMAIL)
    assert spring.master_trainers.count() == 2
    assert spring.master_trainers.filter(pk=master.pk).exists()

    grid = cohort_grid(spring)
    assert len(grid.rows) >= 10
    percents = sorted(row.path.percent for row in grid.rows)
    assert percents[0] < 10  # just started
    assert percents[-1] >= 80  # nearly done
    assert len(set(percents)) >= 6
    assert all(not row.path.complete for row in grid.rows)
    assert len(grid.behind) >= 3  # the demo candidate and two others
    assert len(grid.rows) - len(grid.behind) >= 6  # most are on track
    assert Enrolment.objects.filter(cohort=spring, mentor__isnull=False).count() >= 3

    # The demo candidate: lessons 1-4 done, on the questioning quiz, behind.
    candidate = Enrolment.objects.select_related("cohort", "mentor").get(
        cohort=spring, person__email=CANDIDATE_EMAIL
    )
    path = enrolment_path(candidate)
    assert path.next_step is not None
    assert path.next_step.step.title == "Quiz: questioning"
    assert 10 <= path.percent <= 80
    assert path.overdue_count > 0
    done = StepProgress.objects.filter(enrolment=candidate, status=ProgressStatus.COMPLETED)
    assert done.filter(step__kind=StepKind.LESSON).count() == 4
    attempts = list(QuizAttempt.objects.filter(enrolment=candidate).order_by("pk"))
    assert any(not a.passed for a in attempts)
    failed = next(a for a in attempts if not a.passed)
    assert any(a.passed and a.step_id == failed.step_id for a in attempts)
    reflection = ReflectionEntry.objects.get(progress__enrolment=candidate)
    assert reflection.replied_by == master
    assert len(reflection.text.split()) >= 150
    assert candidate.mentor is not None
    assert candidate.mentor.email == TRAINER_EMAIL

    # The master trainer has work to sign off and reflections to answer.
    submitted = StepProgress.objects.filter(status=ProgressStatus.SUBMITTED).select_related(
        "enrolment__cohort", "enrolment__person"
    )
    to_review = [p for p in submitted if rules.can_review(master, p)]
    assert {p.step.kind for p in to_review} >= {StepKind.ON_THE_JOB, StepKind.TEACH_BACK}
    assert all(EvidenceFile.objects.filter(progress=p).exists() for p in to_review)
    assert ReflectionEntry.objects.filter(
        progress__enrolment__cohort=spring, replied_at__isnull=True
    ).exists()


def _check_autumn_intake() -> None:
    """The demo trainer finished the earlier intake: every step, work signed off."""
    autumn = Enrolment.objects.select_related("cohort").get(
        cohort__name=AUTUMN, person__email=TRAINER_EMAIL
    )
    assert autumn.status == Enrolment.Status.COMPLETED
    assert autumn.completed_at is not None
    assert enrolment_path(autumn).complete
    signed = StepProgress.objects.filter(
        enrolment=autumn,
        step__kind__in=[StepKind.ON_THE_JOB, StepKind.TEACH_BACK],
        status=ProgressStatus.COMPLETED,
        signed_off_by__isnull=False,
    )
    assert signed.count() == 2
    assert not Enrolment.objects.filter(cohort=autumn.cohort).exclude(
        status=Enrolment.Status.COMPLETED
    )
    assert autumn.cohort.start_date < Cohort.objects.get(name=SPRING).start_date


def _check_follow_up() -> None:
    """The demo trainer's learner path; the demo learner has read its lesson."""
    follow_up = Cohort.objects.select_related("program").get(
        name=FOLLOW_UP_COHORT, program__slug=FOLLOW_UP_SLUG
    )
    trainer = Person.objects.get(email=TRAINER_EMAIL)
    assert follow_up.program.audience == Audience.LEARNERS
    assert follow_up.program.created_by == trainer
    assert rules.can_run_cohort(trainer, follow_up)
    kinds = sorted(follow_up.version.steps.values_list("kind", flat=True))
    assert kinds == [StepKind.LESSON, StepKind.ON_THE_JOB, StepKind.QUIZ]
    quiz = follow_up.version.steps.get(kind=StepKind.QUIZ)
    assert quiz.step_questions.count() == 3
    assert follow_up.enrolments.count() == 8
    learner = follow_up.enrolments.get(person__email=LEARNER_EMAIL)
    path = enrolment_path(learner)
    assert [s.status for s in path.steps] == ["completed", "not_started", "not_started"]
    assert path.next_step is not None
    assert path.next_step.step.kind == StepKind.QUIZ
    assert StepProgress.objects.filter(
        enrolment__cohort=follow_up, status=ProgressStatus.SUBMITTED
    ).exists()  # the trainer has an observed transfer to sign off


def _check_no_email() -> None:
    """Reviewers and candidates were told in the app, but no email goes out for the past."""
    learning = Notification.objects.filter(
        kind__in=[NotificationKind.REVIEW, NotificationKind.TO_REVIEW, NotificationKind.PROGRAM]
    )
    assert learning.exists()
    assert not learning.exclude(email_status=Notification.EmailStatus.NONE).exists()
    # The master trainer's news is the current intake; the autumn intake's is read.
    assert learning.filter(recipient__email=MASTER_EMAIL, read_at__isnull=True).exists()
    assert not learning.filter(
        recipient__email=TRAINER_EMAIL, read_at__isnull=True, title__contains="signed off"
    ).exists()
