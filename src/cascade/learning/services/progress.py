"""Doing steps and reviewing them: lessons, on-the-job tasks, reflections, mentoring,
live-session attendance and teach-backs. Every completion goes through ``complete_progress`` so that
finishing the last required step completes the enrolment."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.core.uploads import check_upload
from cascade.learning.models import (
    Enrolment,
    EvidenceFile,
    MentoringLog,
    ProgressStatus,
    ReflectionEntry,
    Step,
    StepKind,
    StepProgress,
)
from cascade.learning.selectors import enrolment_path
from cascade.people.models import Person

EVIDENCE_TYPES = {
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "mp4",
    "webm",
    "mp3",
    "m4a",
    "docx",
    "pptx",
    "xlsx",
    "txt",
}


def check_can_work(enrolment: Enrolment, step: Step) -> None:
    if enrolment.status == Enrolment.Status.WITHDRAWN:
        raise ApplicationError(_("You are no longer enrolled in this cohort."), code="withdrawn")
    if step.version_id != enrolment.version_id:
        raise ApplicationError(
            _("This step is not part of your path."), code="wrong_version", status=404
        )
    state = next((s for s in enrolment_path(enrolment).steps if s.step.id == step.pk), None)
    if state is None or not state.unlocked:
        raise ApplicationError(_("Finish the earlier steps first."), code="step_locked")


def progress_get_or_start(*, enrolment: Enrolment, step: Step) -> StepProgress:
    """The progress row for this step, created (in progress) on first use; race-safe."""
    try:
        with transaction.atomic():
            progress, _created = StepProgress.objects.get_or_create(enrolment=enrolment, step=step)
    except IntegrityError:
        progress = StepProgress.objects.get(enrolment=enrolment, step=step)
    return progress


def complete_progress(
    progress: StepProgress, *, score: float | None = None, by: Person | None = None
) -> StepProgress:
    progress.status = ProgressStatus.COMPLETED
    progress.completed_at = progress.completed_at or timezone.now()
    if score is not None:
        progress.score = score
    if by is not None:
        progress.signed_off_by = by
    progress.save()
    _maybe_complete_enrolment(progress.enrolment)
    return progress


def _maybe_complete_enrolment(enrolment: Enrolment) -> None:
    path = enrolment_path(enrolment)
    if path.complete and enrolment.status == Enrolment.Status.ACTIVE:
        Enrolment.objects.filter(pk=enrolment.pk, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.COMPLETED, completed_at=timezone.now()
        )


def _reviewers(enrolment: Enrolment) -> list[Person]:
    people = list(enrolment.cohort.master_trainers.filter(is_active=True))
    if enrolment.mentor is not None and enrolment.mentor.is_active:
        people.append(enrolment.mentor)
    return list({p.pk: p for p in people}.values())


def _notify_reviewers(progress: StepProgress, title: str) -> None:
    url = reverse("learning:review", args=[progress.pk])
    for person in _reviewers(progress.enrolment):
        notification_send(
            recipient=person,
            kind=NotificationKind.TO_REVIEW,
            title=title,
            url=url,
            dedupe_key=f"review:{progress.pk}:{int(progress.updated_at.timestamp())}",
        )


def _notify_candidate(progress: StepProgress, title: str, body: str = "") -> None:
    url = reverse("learning:step", args=[progress.enrolment.cohort_id, progress.step_id])
    notification_send(
        recipient=progress.enrolment.person,
        kind=NotificationKind.REVIEW,
        title=title,
        body=body,
        url=url,
    )


# --- Doing steps ----------------------------------------------------------------------------


@transaction.atomic
def lesson_complete(*, enrolment: Enrolment, step: Step) -> StepProgress:
    """The candidate marks a lesson read (idempotent)."""
    if step.kind != StepKind.LESSON:
        raise ApplicationError(_("Only lessons are completed this way."), code="wrong_kind")
    check_can_work(enrolment, step)
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    if progress.status != ProgressStatus.COMPLETED:
        complete_progress(progress)
    return progress


@transaction.atomic
def task_submit(
    *,
    enrolment: Enrolment,
    step: Step,
    checked_items: Iterable[int],
    note: str = "",
    uploads: Iterable[UploadedFile] = (),
) -> StepProgress:
    """Submit an on-the-job task (checklist + evidence) or a teach-back for review."""
    if step.kind not in (StepKind.ON_THE_JOB, StepKind.TEACH_BACK):
        raise ApplicationError(_("This step is not submitted for review."), code="wrong_kind")
    check_can_work(enrolment, step)
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    if progress.status == ProgressStatus.COMPLETED:
        raise ApplicationError(_("This step is already signed off."), code="already_complete")
    checklist = list((step.config or {}).get("checklist") or [])
    ticks = sorted({i for i in checked_items if 0 <= i < len(checklist)})
    files = list(uploads)
    checked = [check_upload(u, allowed=EVIDENCE_TYPES) for u in files]
    if step.kind == StepKind.ON_THE_JOB and len(ticks) != len(checklist):
        raise ApplicationError(
            _("Tick every item of the checklist before submitting."), code="checklist_incomplete"
        )
    has_evidence = bool(files) or progress.files.exists() or bool(note.strip())
    if (step.config or {}).get("evidence_required", step.kind == StepKind.TEACH_BACK) and not (
        has_evidence
    ):
        raise ApplicationError(
            _("Add evidence: upload a file or describe what you did."), code="evidence_missing"
        )
    for info, upload in zip(checked, files, strict=True):
        evidence = EvidenceFile(
            progress=progress,
            original_name=info.original_name,
            content_type=info.content_type,
            size=info.size,
        )
        evidence.file.save(info.storage_name, upload, save=False)
        evidence.save()
    progress.checklist = ticks
    progress.submission = note
    progress.status = ProgressStatus.SUBMITTED
    progress.submitted_at = timezone.now()
    progress.save()
    _notify_reviewers(
        progress,
        _("%(person)s submitted “%(step)s” for sign-off")
        % {"person": enrolment.person, "step": step.title},
    )
    return progress


@transaction.atomic
def reflection_submit(*, enrolment: Enrolment, step: Step, text: str) -> StepProgress:
    """Answer a reflection prompt; the step completes, and the master trainer is asked to reply."""
    if step.kind != StepKind.REFLECTION:
        raise ApplicationError(_("This step is not a reflection."), code="wrong_kind")
    check_can_work(enrolment, step)
    min_words = int((step.config or {}).get("min_words", 0))
    if len(text.split()) < min_words:
        raise ApplicationError(
            _("Write at least %(n)s words (you wrote %(m)s).")
            % {"n": min_words, "m": len(text.split())},
            code="too_short",
        )
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    entry, created = ReflectionEntry.objects.get_or_create(
        progress=progress, defaults={"text": text}
    )
    if not created:
        if entry.replied_at is not None:
            raise ApplicationError(_("This reflection already has a reply."), code="replied")
        entry.text = text
        entry.save(update_fields=["text"])
    progress.submitted_at = timezone.now()
    complete_progress(progress)
    _notify_reviewers(
        progress,
        _("%(person)s wrote a reflection: “%(step)s”")
        % {"person": enrolment.person, "step": step.title},
    )
    return progress


@transaction.atomic
def mentoring_log(
    *,
    enrolment: Enrolment,
    step: Step,
    met_on: date,
    notes: str,
    actions: str,
    actor: Person,
) -> MentoringLog:
    """Log a mentoring meeting (by the candidate or a reviewer); enough meetings complete it."""
    if step.kind != StepKind.MENTORING:
        raise ApplicationError(_("This step is not a mentoring meeting."), code="wrong_kind")
    check_can_work(enrolment, step)
    if met_on > timezone.localdate():
        raise ApplicationError(_("The meeting date cannot be in the future."), code="future_date")
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    log = MentoringLog.objects.create(
        progress=progress, met_on=met_on, notes=notes, actions=actions, logged_by=actor
    )
    needed = int((step.config or {}).get("meetings_required", 1))
    if progress.meetings.count() >= needed and progress.status != ProgressStatus.COMPLETED:
        complete_progress(progress)
    return log


# --- Reviewing ------------------------------------------------------------------------------


@transaction.atomic
def work_sign_off(
    *, progress: StepProgress, actor: Person, approve: bool, note: str = ""
) -> StepProgress:
    """Approve (complete) or return submitted work with a note; the candidate is told."""
    progress = StepProgress.objects.select_for_update().get(pk=progress.pk)
    if progress.status != ProgressStatus.SUBMITTED:
        raise ApplicationError(
            _("There is nothing waiting for sign-off here."), code="not_submitted"
        )
    progress.reviewer_note = note
    step_title = progress.step.title
    if approve:
        complete_progress(progress, by=actor)
        _notify_candidate(progress, _("“%(step)s” is signed off") % {"step": step_title}, note)
    else:
        progress.status = ProgressStatus.IN_PROGRESS
        progress.save(update_fields=["status", "reviewer_note", "updated_at"])
        _notify_candidate(progress, _("“%(step)s” needs more work") % {"step": step_title}, note)
    audit_record(
        actor=actor,
        action="learning.work.signed_off" if approve else "learning.work.returned",
        target=progress,
        changes={"note": note},
    )
    return progress


@transaction.atomic
def reflection_reply(*, progress: StepProgress, actor: Person, text: str) -> ReflectionEntry:
    """The master trainer answers a reflection; the candidate is notified."""
    entry = ReflectionEntry.objects.select_for_update().filter(progress=progress).first()
    if entry is None:
        raise ApplicationError(_("There is no reflection to reply to."), code="no_reflection")
    if not text.strip():
        raise ApplicationError(_("Write a reply."), code="empty")
    entry.reply = text
    entry.replied_by = actor
    entry.replied_at = timezone.now()
    entry.save(update_fields=["reply", "replied_by", "replied_at"])
    _notify_candidate(
        progress, _("%(actor)s replied to your reflection") % {"actor": actor}, text[:300]
    )
    return entry


@transaction.atomic
def attendance_record(
    *, enrolment: Enrolment, step: Step, attended: bool, actor: Person
) -> StepProgress:
    """Mark a live-session step attended (completes it) or missed (until the delivery area
    records attendance from real sessions)."""
    if step.kind != StepKind.LIVE_SESSION:
        raise ApplicationError(_("This step is not a live session."), code="wrong_kind")
    if step.version_id != enrolment.version_id:
        raise ApplicationError(
            _("This step is not part of this path."), code="wrong_version", status=404
        )
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    if attended:
        complete_progress(progress, by=actor)
    else:
        progress.status = ProgressStatus.FAILED
        progress.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="learning.attendance.recorded",
        target=progress,
        changes={"attended": attended},
    )
    return progress


@transaction.atomic
def live_step_attendance_record(
    *,
    cohort_id: int,
    person_id: int,
    step_key: uuid.UUID,
    attended: bool,
    excused: bool = False,
    actor: Person | None,
) -> StepProgress | None:
    """Attendance at a scheduled session, as delivery records it, applied to the person's path.

    The step is found by its stable key in the version the person follows, so a session planned
    on one version completes the step for people on another. Attending completes it; a plain
    absence marks it missed; an excused absence leaves it open (they can attend another date).
    Returns None when the person is not (or no longer) in the cohort.
    """
    enrolment = (
        Enrolment.objects.filter(cohort_id=cohort_id, person_id=person_id)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .first()
    )
    if enrolment is None:
        return None
    step = Step.objects.filter(version_id=enrolment.version_id, key=step_key).first()
    if step is None:
        return None
    progress = progress_get_or_start(enrolment=enrolment, step=step)
    if attended:
        if progress.status != ProgressStatus.COMPLETED:
            complete_progress(progress, by=actor)
    elif progress.status != ProgressStatus.COMPLETED:
        progress.status = ProgressStatus.IN_PROGRESS if excused else ProgressStatus.FAILED
        progress.save(update_fields=["status", "updated_at"])
    return progress
