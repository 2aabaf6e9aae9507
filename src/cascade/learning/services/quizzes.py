"""Quiz attempts: start one (within the attempts limit), submit it (graded exactly once)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.learning.models import (
    Enrolment,
    ProgressStatus,
    QuizAttempt,
    Step,
    StepKind,
    StepProgress,
)
from cascade.learning.quiz import BankQuestion, grade, serve
from cascade.learning.services.progress import (
    check_can_work,
    complete_progress,
    progress_get_or_start,
)
from cascade.learning.step_config import quiz_config

# Submissions arriving this long after the deadline still count (network and clock slack).
DEADLINE_GRACE = timedelta(seconds=30)


def attempts_left(step: Step, used: int) -> int | None:
    limit = quiz_config(step.config).attempts_limit
    return None if limit == 0 else max(0, limit - used)


def attempt_start(*, enrolment: Enrolment, step: Step) -> QuizAttempt:
    """Return the open attempt, or start a new one if attempts remain and the quiz is not passed."""
    if step.kind != StepKind.QUIZ:
        raise ApplicationError(_("This step is not a quiz."), code="wrong_kind")
    check_can_work(enrolment, step)
    # An attempt left open past its time is graded with what was saved. This commits on its
    # own: refusing a new attempt below (none left, passed) must not undo that grade.
    for stale in QuizAttempt.objects.filter(
        enrolment=enrolment, step=step, submitted_at__isnull=True
    ):
        if _expired(stale):
            attempt_submit(attempt=stale, responses=stale.responses or {})
    return _attempt_open_or_new(enrolment=enrolment, step=step)


@transaction.atomic
def _attempt_open_or_new(*, enrolment: Enrolment, step: Step) -> QuizAttempt:
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    # One start at a time per person and quiz: the attempts limit is checked under this lock.
    progress = StepProgress.objects.select_for_update().get(pk=progress.pk)
    open_attempt = QuizAttempt.objects.filter(
        enrolment=enrolment, step=step, submitted_at__isnull=True
    ).first()
    if open_attempt is not None:
        return open_attempt
    if progress.status == ProgressStatus.COMPLETED:
        raise ApplicationError(_("You have passed this quiz already."), code="already_passed")
    used = QuizAttempt.objects.filter(enrolment=enrolment, step=step).count()
    left = attempts_left(step, used)
    if left == 0:
        raise ApplicationError(
            _("You have used all your attempts at this quiz."), code="no_attempts_left"
        )
    cfg = quiz_config(step.config)
    questions = [
        BankQuestion(
            id=sq.question.pk,
            kind=sq.question.kind,
            prompt=sq.question.prompt,
            data=sq.question.data,
            explanation=sq.question.explanation,
        )
        for sq in step.step_questions.select_related("question").order_by("position")
    ]
    served = serve(
        questions,
        rng=random.SystemRandom(),
        draw_count=cfg.draw_count,
        shuffle_questions=cfg.shuffle_questions,
        shuffle_options=cfg.shuffle_options,
    )
    number = (
        QuizAttempt.objects.filter(enrolment=enrolment, step=step).aggregate(n=Max("number"))["n"]
        or 0
    ) + 1
    deadline = (
        timezone.now() + timedelta(minutes=cfg.time_limit_minutes)
        if cfg.time_limit_minutes
        else None
    )
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                enrolment=enrolment, step=step, number=number, served=served, deadline=deadline
            )
    except IntegrityError:
        # A second tab started the same attempt at the same moment: use that one.
        return QuizAttempt.objects.get(enrolment=enrolment, step=step, number=number)


def _expired(attempt: QuizAttempt) -> bool:
    return attempt.deadline is not None and timezone.now() > attempt.deadline + DEADLINE_GRACE


@transaction.atomic
def attempt_submit(*, attempt: QuizAttempt, responses: dict[str, Any]) -> QuizAttempt:
    """Grade an attempt exactly once: a second (double-clicked, retried) submission returns the
    first result unchanged. Past the time limit, nothing more is accepted (what was saved is
    graded)."""
    if not isinstance(responses, dict):
        responses = {}
    if (
        attempt.submitted_at is None
        and Enrolment.objects.filter(
            pk=attempt.enrolment_id, status=Enrolment.Status.WITHDRAWN
        ).exists()
    ):
        raise ApplicationError(_("You are no longer enrolled in this cohort."), code="withdrawn")
    claimed = QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
        submitted_at=timezone.now()
    )
    attempt.refresh_from_db()
    if not claimed:
        return attempt
    if (
        attempt.deadline is not None
        and attempt.submitted_at
        and (attempt.submitted_at > attempt.deadline + DEADLINE_GRACE)
    ):
        responses = attempt.responses or {}
    results, score = grade(attempt.served, responses)
    cfg = quiz_config(attempt.step.config)
    attempt.responses = responses
    attempt.results = results
    attempt.score = score
    attempt.passed = score >= cfg.pass_mark
    attempt.save(update_fields=["responses", "results", "score", "passed"])
    _record_quiz_progress(attempt, cfg.policy, cfg.attempts_limit)
    return attempt


def _record_quiz_progress(attempt: QuizAttempt, policy: str, limit: int) -> None:
    progress = StepProgress.objects.select_for_update().get(
        enrolment_id=attempt.enrolment_id, step_id=attempt.step_id
    )
    if progress.status == ProgressStatus.COMPLETED:
        return
    done = list(
        QuizAttempt.objects.filter(
            enrolment_id=attempt.enrolment_id, step_id=attempt.step_id, submitted_at__isnull=False
        ).order_by("number")
    )
    counted = max(done, key=lambda a: a.score or 0) if policy == "best" else done[-1]
    progress.score = counted.score
    if counted.passed:
        complete_progress(progress, score=counted.score)
        return
    progress.status = (
        ProgressStatus.FAILED if limit and len(done) >= limit else ProgressStatus.IN_PROGRESS
    )
    progress.save(update_fields=["score", "status", "updated_at"])


def attempt_save_responses(*, attempt: QuizAttempt, responses: dict[str, Any]) -> None:
    """Keep answers typed so far (autosave) while the attempt is open and in time."""
    if not isinstance(responses, dict):
        return
    if attempt.submitted_at is None and not _expired(attempt):
        QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            responses=responses
        )


def answers_revealed(attempt: QuizAttempt) -> bool:
    """Whether a submitted attempt may show the right answers and explanations.

    By default only once they can no longer help a retry: the quiz is passed or no attempt is
    left. Per-option feedback and right/wrong marks are always shown.
    """
    if attempt.submitted_at is None:
        return False
    if quiz_config(attempt.step.config).show_answers == "always" or attempt.passed:
        return True
    progress = (
        StepProgress.objects.filter(enrolment_id=attempt.enrolment_id, step_id=attempt.step_id)
        .values_list("status", flat=True)
        .first()
    )
    if progress == ProgressStatus.COMPLETED:
        return True
    used = QuizAttempt.objects.filter(
        enrolment_id=attempt.enrolment_id, step_id=attempt.step_id
    ).count()
    return attempts_left(attempt.step, used) == 0
