"""Teach-backs and observed deliveries: submitting an attempt, assigning observers, blind
scoring, combining the sheets, moderation and the decision.

The combining rule (documented in docs/guide and :func:`statistics.combine_scores`): the
consolidated level of a criterion is the median of the *master* observers' levels, a half
rounded down; peers' sheets are feedback for the candidate and never move the result. A gap of
two levels or more between master observers on any criterion sends the observation to
moderation, where a master trainer or program manager sets the agreed level after discussion.
An observation is decided once every assigned observer has submitted, there are at least
``observers_needed`` sheets (default 2), and at least one master is a certifying observer
(calibrated within the year).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.certification import statistics
from cascade.certification.models import (
    Criterion,
    ModerationNote,
    Observation,
    ObservationKind,
    ObservationMode,
    ObservationStatus,
    ObserverRole,
    Rubric,
    ScoreSheet,
    VersionStatus,
)
from cascade.certification.selectors.calibration import certifying_observer_ids
from cascade.certification.services.awards import ladder_advance
from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.core.uploads import check_upload
from cascade.learning.models import Enrolment, ProgressStatus, Step, StepKind, StepProgress
from cascade.learning.services.progress import (
    check_can_work,
    complete_progress,
    progress_get_or_start,
)
from cascade.people.models import Person, Role

RECORDING_TYPES = {"mp4", "webm", "m4a", "mp3"}


def attempt_limit() -> int:
    """Attempts a candidate has at one kind of observation for one course (default 3)."""
    return int(getattr(settings, "CERTIFICATION_ATTEMPT_LIMIT", 3))


def cooling_off() -> timedelta:
    """Time between a failed attempt and the next (default 7 days), to practise first."""
    return timedelta(days=int(getattr(settings, "CERTIFICATION_COOLING_OFF_DAYS", 7)))


def rubric_criteria(observation: Observation) -> list[Criterion]:
    """Every criterion scored on this observation: the rubric's, then its add-on's."""
    criteria = list(observation.rubric.criteria.all())
    if observation.add_on_id:
        assert observation.add_on is not None
        criteria += list(observation.add_on.criteria.all())
    return criteria


def _clean_levels(
    raw: dict[str, Any], codes: list[str], *, complete: bool, field: str = "levels"
) -> dict[str, int]:
    clean: dict[str, int] = {}
    for code, value in (raw or {}).items():
        if code not in codes:
            raise ApplicationError(
                _("“%(code)s” is not a criterion of this rubric.") % {"code": code},
                code="unknown_criterion",
            )
        if value in (None, ""):
            continue
        try:
            level = int(value)
        except (TypeError, ValueError):
            level = 0
        if not 1 <= level <= 4:
            raise ApplicationError(
                _("Levels are 1 to 4; %(code)s has “%(value)s”.") % {"code": code, "value": value},
                code="bad_level",
            )
        clean[code] = level
    if complete:
        missing = [c for c in codes if c not in clean]
        if missing:
            raise ApplicationError(
                _("Score every criterion before submitting; missing: %(list)s.")
                % {"list": ", ".join(missing)},
                code="incomplete",
                extra={"missing": missing},
            )
    return {c: clean[c] for c in codes if c in clean}


def published_teach_back_rubric() -> Rubric:
    from cascade.certification.defaults import TEACH_BACK_SLUG

    rubric = Rubric.objects.filter(slug=TEACH_BACK_SLUG, status=VersionStatus.PUBLISHED).first()
    if rubric is None:
        raise ApplicationError(
            _("No published teach-back rubric: a program manager must publish one first."),
            code="no_rubric",
        )
    return rubric


def _check_attempts(
    candidate: Person, kind: str, course_id: int | None, step_id: int | None
) -> int:
    """Raise if the candidate may not start another attempt now; return its number."""
    previous = Observation.objects.filter(candidate=candidate, kind=kind).exclude(
        status=ObservationStatus.WITHDRAWN
    )
    if step_id is not None:
        previous = previous.filter(progress__step_id=step_id)
    else:
        previous = previous.filter(course=course_id)
    rows: list[dict[str, Any]] = [
        dict(r) for r in previous.order_by("created_at").values("status", "passed", "decided_at")
    ]
    if any(r["status"] in (ObservationStatus.SCORING, ObservationStatus.MODERATION) for r in rows):
        raise ApplicationError(
            _("You already have an attempt being scored; wait for its result."),
            code="attempt_open",
        )
    if any(r["passed"] for r in rows):
        raise ApplicationError(_("You have already passed this."), code="already_passed")
    failed = [r for r in rows if r["passed"] is False]
    if len(failed) >= attempt_limit():
        raise ApplicationError(
            _("You have used all %(n)s attempts; talk to your master trainer about next steps.")
            % {"n": attempt_limit()},
            code="attempts_used",
        )
    if failed:
        ready = failed[-1]["decided_at"] + cooling_off()
        if timezone.now() < ready:
            raise ApplicationError(
                _("Take time to practise: your next attempt opens on %(date)s.")
                % {"date": timezone.localtime(ready).strftime("%d %b %Y")},
                code="cooling_off",
                extra={"opens_at": ready.isoformat()},
            )
    return len(rows) + 1


@transaction.atomic
def observation_submit(
    *,
    candidate: Person,
    title: str,
    kind: str = ObservationKind.TEACH_BACK,
    mode: str = ObservationMode.RECORDED,
    course: Any = None,
    progress: StepProgress | None = None,
    step_of: tuple[Enrolment, Step] | None = None,
    session: Any = None,
    recording: UploadedFile | None = None,
    recording_url: str = "",
    self_levels: dict[str, Any] | None = None,
    self_notes: str = "",
    add_on: Rubric | None = None,
    allow_peers: bool = False,
    observers_needed: int = 2,
    actor: Person | None = None,
) -> Observation:
    """Start an attempt: the candidate's recording (or a live observation) with their
    self-assessment, on the published teach-back rubric. Attempts are limited and spaced."""
    # Serialise one candidate's submissions so two tabs cannot open two attempts.
    Person.objects.select_for_update().filter(pk=candidate.pk).first()
    if step_of is not None:
        enrolment, step = step_of
        if enrolment.person_id != candidate.pk:
            raise Forbidden(_("This is not your teach-back step."))
        check_can_work(enrolment, step)
        progress = progress_get_or_start(enrolment=enrolment, step=step)
    if progress is not None:
        # The program decides whether peers observe its teach-backs, not the candidate.
        allow_peers = bool((progress.step.config or {}).get("peers_may_observe", False))
    if progress is not None:
        if (
            progress.enrolment.person_id != candidate.pk
            or progress.step.kind != StepKind.TEACH_BACK
        ):
            raise Forbidden(_("This is not your teach-back step."))
        if progress.status == ProgressStatus.COMPLETED:
            raise ApplicationError(
                _("This teach-back is already signed off."), code="already_passed"
            )
    if session is not None and not session.staff.filter(person=candidate).exists():
        raise Forbidden(_("You did not staff that session."))
    if kind != ObservationKind.TEACH_BACK and course is None:
        raise ApplicationError(_("Choose the course that was delivered."), code="course_required")
    if mode == ObservationMode.RECORDED and recording is None and not recording_url.strip():
        raise ApplicationError(
            _("Upload the recording or give a link to it."), code="recording_missing"
        )
    if add_on is not None and add_on.status != VersionStatus.PUBLISHED:
        raise ApplicationError(_("That add-on rubric is not published."), code="no_rubric")
    rubric = add_on.extends if add_on is not None and add_on.extends else None
    rubric = rubric or published_teach_back_rubric()
    attempt = _check_attempts(
        candidate, kind, getattr(course, "pk", None), progress.step_id if progress else None
    )
    observation = Observation(
        candidate=candidate,
        kind=kind,
        mode=mode,
        course=course,
        progress=progress,
        session=session,
        title=title.strip()[:200],
        attempt=attempt,
        rubric=rubric,
        add_on=add_on,
        recording_url=recording_url.strip(),
        allow_peers=allow_peers,
        observers_needed=observers_needed,
        self_notes=self_notes,
        created_by=actor or candidate,
    )
    codes = [c.code for c in rubric_criteria(observation)]
    observation.self_levels = _clean_levels(self_levels or {}, codes, complete=False)
    if not observation.title:
        raise ApplicationError(_("Say what you taught."), code="title_missing")
    if recording is not None:
        info = check_upload(recording, allowed=RECORDING_TYPES)
        observation.recording_name = info.original_name
        observation.recording.save(info.storage_name, recording, save=False)
    observation.full_clean(exclude=["recording", "course", "progress", "session"])
    observation.save()
    if progress is not None and progress.status != ProgressStatus.SUBMITTED:
        StepProgress.objects.filter(pk=progress.pk).update(
            status=ProgressStatus.SUBMITTED, submitted_at=timezone.now()
        )
    _notify_managers(observation)
    return observation


def _notify_managers(observation: Observation) -> None:
    """Tell the candidate's master trainers (cohort coaches) that an attempt waits for observers."""
    recipients: set[Person] = set()
    if observation.progress_id:
        assert observation.progress is not None
        recipients |= set(observation.progress.enrolment.cohort.master_trainers.all())
    if not recipients:
        recipients |= set(
            Person.objects.filter(
                is_active=True, role_assignments__role=Role.MASTER_TRAINER
            ).distinct()[:20]
        )
    for person in recipients:
        if person.pk == observation.candidate_id:
            continue
        notification_send(
            recipient=person,
            kind=NotificationKind.TO_REVIEW,
            title=_("%(person)s submitted a teach-back to observe: “%(title)s”")
            % {"person": observation.candidate, "title": observation.title},
            url=f"/certification/observations/{observation.pk}/",
            dedupe_key=f"observation:{observation.pk}:submitted",
        )


@transaction.atomic
def observer_assign(
    *, observation: Observation, observer: Person, role: str, actor: Person
) -> ScoreSheet:
    """Give an observer a blank score sheet. Masters observe anything; peers only where the
    attempt allows them. Idempotent: assigning someone twice keeps their one sheet."""
    if observation.status != ObservationStatus.SCORING:
        raise ApplicationError(_("This attempt is no longer being scored."), code="not_scoring")
    if observer.pk == observation.candidate_id:
        raise ApplicationError(_("Candidates cannot observe themselves."), code="self_observe")
    if role == ObserverRole.MASTER and not observer.has_role(Role.MASTER_TRAINER):
        raise ApplicationError(
            _("%(person)s is not a master trainer.") % {"person": observer}, code="not_master"
        )
    if role == ObserverRole.PEER:
        if not observation.allow_peers:
            raise ApplicationError(
                _("Peers may not observe this attempt."), code="peers_not_allowed"
            )
        if not observer.is_active:
            raise ApplicationError(_("That person is not active."), code="inactive")
    sheet, created = ScoreSheet.objects.get_or_create(
        observation=observation, observer=observer, defaults={"role": role}
    )
    if created:
        audit_record(
            actor=actor,
            action="observer_assigned",
            target=observation,
            changes={"observer": observer.pk, "role": role},
        )
        if observer.pk != actor.pk:
            notification_send(
                recipient=observer,
                kind=NotificationKind.TO_REVIEW,
                title=_("Please observe %(person)s: “%(title)s”")
                % {"person": observation.candidate, "title": observation.title},
                url=f"/certification/observations/{observation.pk}/score/",
                dedupe_key=f"observation:{observation.pk}:observer:{observer.pk}",
            )
    return sheet


@transaction.atomic
def sheet_save(
    *,
    sheet: ScoreSheet,
    levels: dict[str, Any],
    evidence: dict[str, str] | None = None,
    timestamps: dict[str, Any] | None = None,
    comment: str = "",
    submit: bool = False,
) -> ScoreSheet:
    """Save an observer's scores (a draft), or submit them: then they are final, the other
    submitted sheets become visible to this observer, and the observation may be decided."""
    sheet = ScoreSheet.objects.select_for_update().select_related("observation").get(pk=sheet.pk)
    observation = Observation.objects.select_for_update().get(pk=sheet.observation_id)
    if sheet.submitted_at is not None:
        raise ApplicationError(_("You have already submitted these scores."), code="submitted")
    if observation.status != ObservationStatus.SCORING:
        raise ApplicationError(_("This attempt is no longer being scored."), code="not_scoring")
    codes = [c.code for c in rubric_criteria(observation)]
    sheet.levels = _clean_levels(levels, codes, complete=submit)
    sheet.evidence = {
        c: str(t).strip()[:2000]
        for c, t in (evidence or {}).items()
        if c in codes and str(t).strip()
    }
    clean_times: dict[str, int] = {}
    for code, value in (timestamps or {}).items():
        if code in codes and value not in (None, ""):
            seconds = _seconds(value)
            if seconds is None:
                raise ApplicationError(
                    _("Times in the recording look like 12:34 or 1:02:03; %(code)s has “%(v)s”.")
                    % {"code": code, "v": value},
                    code="bad_time",
                )
            clean_times[code] = seconds
    sheet.timestamps = clean_times
    sheet.comment = comment.strip()[:5000]
    if submit:
        sheet.submitted_at = timezone.now()
    sheet.save()
    if submit:
        _maybe_decide(observation)
    return sheet


def _seconds(value: Any) -> int | None:
    """ "12:34" or "1:02:03" (or a number of seconds) as seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    parts = str(value).strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    total = 0
    for i, part in enumerate(parts):
        number = int(part)
        if i > 0 and number >= 60:
            return None
        total = total * 60 + number
    return total


def _maybe_decide(observation: Observation) -> None:
    sheets = list(observation.sheets.all())
    if any(s.submitted_at is None for s in sheets) or len(sheets) < observation.observers_needed:
        return
    masters = {s.observer_id: s.levels for s in sheets if s.role == ObserverRole.MASTER}
    if not masters or not certifying_observer_ids(masters.keys()):
        return  # still waiting for a certifying observer
    observation.combined_levels = statistics.combine_scores(masters, rule="median")
    observation.flagged = statistics.disagreements(masters, threshold=2)
    if observation.flagged:
        observation.status = ObservationStatus.MODERATION
        observation.save(update_fields=["combined_levels", "flagged", "status"])
        for person in _moderators(observation):
            notification_send(
                recipient=person,
                kind=NotificationKind.TO_REVIEW,
                title=_("Observers disagree on “%(title)s”: moderation needed")
                % {"title": observation.title},
                url=f"/certification/observations/{observation.pk}/",
                dedupe_key=f"observation:{observation.pk}:moderation",
            )
        return
    _decide(observation, actor=None)


def _moderators(observation: Observation) -> list[Person]:
    ids = list(observation.sheets.values_list("observer_id", flat=True))
    return list(Person.objects.filter(pk__in=ids))


def _feedback(observation: Observation, levels: dict[str, int]) -> tuple[str, str]:
    """Strengths (up to five criteria at the standard or above, highest first, with the
    observers' evidence) and next steps (every criterion below the standard, with the anchor
    of the next level; with none below, the two to take to level 4), as Markdown."""
    criteria = {c.code: c for c in rubric_criteria(observation)}
    notes: dict[str, list[str]] = {}
    for sheet in observation.sheets.all():
        if sheet.submitted_at is not None:
            for code, text in sheet.evidence.items():
                notes.setdefault(code, []).append(text)
    scored = [(code, level) for code, level in levels.items() if code in criteria]
    strong = sorted(
        (item for item in scored if item[1] >= 3),
        key=lambda item: (-item[1], not notes.get(item[0])),
    )[:5]
    weak = [item for item in scored if item[1] < 3]
    if not weak:
        weak = [item for item in scored if item[1] == 3][:2]

    def line(code: str, level: int, tail: str) -> str:
        return f"- **{code} {criteria[code].name}** (level {level}){tail}"

    strengths = [
        line(code, level, f": {'; '.join(notes[code])}" if notes.get(code) else "")
        for code, level in strong
    ]
    steps = []
    for code, level in weak:
        target = criteria[code].anchors.get(str(level + 1), "")
        steps.append(
            line(code, level, f": aim for level {level + 1}" + (f" — {target}" if target else ""))
        )
    return "\n".join(strengths), "\n".join(steps)


def _decide(observation: Observation, *, actor: Person | None) -> None:
    criteria = rubric_criteria(observation)
    levels = observation.final_levels
    rubric = observation.rubric
    result = statistics.rubric_passes(
        levels,
        critical={c.code for c in criteria if c.critical},
        min_each=rubric.min_each,
        min_critical=rubric.min_critical,
        min_mean=float(rubric.min_mean),
    )
    observation.passed = result.passed
    observation.reasons = result.reasons
    observation.mean = result.mean
    observation.strengths, observation.next_steps = _feedback(observation, levels)
    observation.status = ObservationStatus.DECIDED
    observation.decided_at = timezone.now()
    observation.decided_by = actor
    observation.save()
    audit_record(
        actor=actor,
        action="observation_decided",
        target=observation,
        changes={"passed": result.passed, "levels": levels},
    )
    if observation.progress_id and result.passed:
        assert observation.progress is not None
        complete_progress(observation.progress, score=result.mean, by=actor)
    elif observation.progress_id:
        StepProgress.objects.filter(pk=observation.progress_id).update(
            status=ProgressStatus.IN_PROGRESS
        )
    notification_send(
        recipient=observation.candidate,
        kind=NotificationKind.REVIEW,
        title=(_("You passed “%(title)s”") if result.passed else _("Feedback on “%(title)s”"))
        % {"title": observation.title},
        url=f"/certification/observations/{observation.pk}/",
        dedupe_key=f"observation:{observation.pk}:decided",
    )
    # The ladder may now be met: award what the evidence earns.
    if result.passed:
        ladder_advance(person=observation.candidate, course=observation.course)


@transaction.atomic
def moderation_note_add(*, observation: Observation, author: Person, text: str) -> ModerationNote:
    """Add to the moderation discussion (observers who submitted, masters, program managers)."""
    if not text.strip():
        raise ApplicationError(_("Write something first."), code="empty")
    note = ModerationNote(observation=observation, author=author, text=text.strip()[:5000])
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def moderation_resolve(
    *, observation: Observation, actor: Person, levels: dict[str, Any], note: str = ""
) -> Observation:
    """Set the agreed level for each flagged criterion and decide the observation."""
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if observation.status != ObservationStatus.MODERATION:
        raise ApplicationError(_("This attempt is not in moderation."), code="not_in_moderation")
    if not actor.has_role(Role.MASTER_TRAINER, Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only master trainers and program managers moderate."))
    agreed = _clean_levels(levels, list(observation.flagged), complete=True)
    observation.moderated_levels = agreed
    observation.save(update_fields=["moderated_levels"])
    if note.strip():
        moderation_note_add(observation=observation, author=actor, text=note)
    audit_record(
        actor=actor, action="observation_moderated", target=observation, changes={"levels": agreed}
    )
    _decide(observation, actor=actor)
    return observation


@transaction.atomic
def observation_withdraw(*, observation: Observation, actor: Person) -> Observation:
    """The candidate (or a manager) withdraws an attempt that nobody has scored yet; it does
    not count as an attempt."""
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if (
        observation.status != ObservationStatus.SCORING
        or observation.sheets.filter(submitted_at__isnull=False).exists()
    ):
        raise ApplicationError(
            _("Only an attempt nobody has scored yet can be withdrawn."), code="not_withdrawable"
        )
    observation.status = ObservationStatus.WITHDRAWN
    observation.save(update_fields=["status"])
    audit_record(actor=actor, action="observation_withdrawn", target=observation)
    return observation
