"""Writes of certification: awarding (by the ladder or a program manager), suspending,
reinstating, revoking, renewing and lapsing, with the credential issued on every award.

History is kept: a renewal or a higher level is a new :class:`Certification`, the old one is
*superseded*; every change is a :class:`CertificationEvent` and an audit entry, and the person
is told. Revocation and suspension show in the public status list at once (it is built from
these rows), so a verifier sees them without the credential being touched.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.certification import ladder
from cascade.certification.credentials import credential_issue
from cascade.certification.models import (
    Certification,
    CertificationEvent,
    CertificationStatus,
    Competency,
    CompetencyRating,
    DevelopmentActivity,
    LadderRule,
    Level,
)
from cascade.certification.selectors import awards as award_selectors
from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.people.models import Person, Role

REMINDER_DAYS = (90, 30, 7)


def _event(cert: Certification, action: str, actor: Person | None, reason: str = "") -> None:
    CertificationEvent.objects.create(certification=cert, action=action, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action=f"certification_{action}",
        target=cert,
        changes={"status": cert.status, "reason": reason},
    )


def _tell(cert: Certification, title: str, body: str = "", key: str | None = None) -> None:
    notification_send(
        recipient=cert.person,
        kind=NotificationKind.REVIEW,
        title=title,
        body=body,
        url=f"/certification/certifications/{cert.pk}/",
        dedupe_key=key,
    )


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _next_status_index() -> int:
    top = Certification.objects.aggregate(m=Max("status_index"))["m"]
    return 0 if top is None else top + 1


@transaction.atomic
def certification_award(
    *,
    person: Person,
    course: Any,
    level: str,
    actor: Person | None,
    reason: str = "",
    evidence: dict[str, Any] | None = None,
    renewal_of: Certification | None = None,
    now: datetime | None = None,
) -> Certification:
    """Award ``level`` for ``course``: lower active levels of the same course are superseded,
    the signed credential is issued and stored as issued. A program manager's manual award
    needs a reason (it may go beyond what the ladder shows)."""
    if level not in Level.values:
        raise ApplicationError(_("Unknown level “%(l)s”.") % {"l": level}, code="bad_level")
    if actor is not None and not actor.has_role(Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only program managers award certifications."))
    if actor is not None and not reason.strip():
        raise ApplicationError(_("Give a reason for the award."), code="reason_required")
    now = now or timezone.now()
    rules = award_selectors.ladder_rules(course.pk)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    current = list(
        Certification.objects.select_for_update().filter(
            person=person, course=course, status=CertificationStatus.ACTIVE
        )
    )
    rank = ladder.LEVEL_RANK[level]
    if renewal_of is None and any(ladder.LEVEL_RANK[c.level] >= rank for c in current):
        raise ApplicationError(
            _("%(person)s already holds this level or a higher one for this course.")
            % {"person": person},
            code="already_held",
        )
    for old in current:
        if ladder.LEVEL_RANK[old.level] <= rank:
            old.status = CertificationStatus.SUPERSEDED
            old.save(update_fields=["status", "changed_at"])
            _event(old, "superseded", actor, _("Replaced by a new award."))
    start = now
    if renewal_of is not None and renewal_of.expires_at > now:
        start = renewal_of.expires_at  # renewing early keeps the remaining time
    for attempt in range(5):
        cert = Certification(
            person=person,
            course=course,
            level=level,
            awarded_at=now,
            expires_at=add_months(start, rules[level].valid_months),
            awarded_by=actor,
            reason=reason.strip(),
            evidence=evidence or {},
            renewal_of=renewal_of,
            status_index=_next_status_index() + attempt,
        )
        try:
            with transaction.atomic():
                cert.save()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    cert.credential = credential_issue(cert)
    cert.save(update_fields=["credential"])
    _event(cert, "renewed" if renewal_of else "awarded", actor, reason.strip())
    _tell(
        cert,
        _("You are now %(level)s for %(course)s")
        % {"level": cert.get_level_display(), "course": course},
        _("Your credential is ready to download and share."),
    )
    return cert


def ladder_advance(*, person: Person, course: Any) -> list[Certification]:
    """Award every rung whose requirements the person now meets for ``course`` (after a
    passed observation, a delivery, a calibration). Returns what was awarded."""
    if course is None:
        return []
    awarded: list[Certification] = []
    for _i in range(len(ladder.LEVEL_RANK)):
        state = award_selectors.ladder_state(person, course.pk)
        if state.next_level is None or state.verdict is None or not state.verdict.met:
            break
        awarded.append(
            certification_award(
                person=person,
                course=course,
                level=state.next_level,
                actor=None,
                reason=_("Met every requirement of the ladder."),
                evidence=state.verdict.as_dict(),
            )
        )
    return awarded


def _change(
    cert: Certification,
    *,
    actor: Person,
    reason: str,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
) -> Certification:
    if not actor.has_role(Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only program managers change certifications."))
    if not reason.strip():
        raise ApplicationError(_("Give a reason."), code="reason_required")
    cert = Certification.objects.select_for_update().get(pk=cert.pk)
    if cert.status not in allowed_from:
        raise ApplicationError(
            _("A certification that is %(status)s cannot be %(action)s.")
            % {"status": cert.get_status_display().lower(), "action": action},
            code="bad_transition",
        )
    cert.status = to
    cert.save(update_fields=["status", "changed_at"])
    _event(cert, action, actor, reason.strip())
    _tell(
        cert,
        _("Your certification as %(level)s for %(course)s was %(action)s")
        % {"level": cert.get_level_display(), "course": cert.course, "action": action},
        reason.strip(),
    )
    return cert


@transaction.atomic
def certification_suspend(
    *, certification: Certification, actor: Person, reason: str
) -> Certification:
    """Suspend (e.g. during an investigation): the person leaves the active pool; reversible."""
    return _change(
        certification,
        actor=actor,
        reason=reason,
        allowed_from=(CertificationStatus.ACTIVE,),
        to=CertificationStatus.SUSPENDED,
        action="suspended",
    )


@transaction.atomic
def certification_reinstate(
    *, certification: Certification, actor: Person, reason: str
) -> Certification:
    return _change(
        certification,
        actor=actor,
        reason=reason,
        allowed_from=(CertificationStatus.SUSPENDED,),
        to=CertificationStatus.ACTIVE,
        action="reinstated",
    )


@transaction.atomic
def certification_revoke(
    *, certification: Certification, actor: Person, reason: str
) -> Certification:
    """Revoke for good: the credential fails verification from now on."""
    return _change(
        certification,
        actor=actor,
        reason=reason,
        allowed_from=(CertificationStatus.ACTIVE, CertificationStatus.SUSPENDED),
        to=CertificationStatus.REVOKED,
        action="revoked",
    )


def renewal_verdict(cert: Certification) -> ladder.Verdict:
    """What the renewal rules ask for and what the person did since the award."""
    rules = award_selectors.ladder_rules(cert.course_id)[cert.level]
    evidence = award_selectors.evidence_for(
        cert.person, cert.course_id, period_start=cert.awarded_at
    )
    return ladder.evaluate_renewal(rules.renewal, evidence)


@transaction.atomic
def certification_renew(
    *, certification: Certification, actor: Person | None, reason: str = ""
) -> Certification:
    """Renew from the evidence of the period (or, by a program manager, with a reason)."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if cert.status != CertificationStatus.ACTIVE:
        raise ApplicationError(_("Only an active certification can be renewed."), code="not_active")
    verdict = renewal_verdict(cert)
    manual = actor is not None and actor.has_role(Role.PROGRAM_MANAGER) and reason.strip()
    if verdict.lines and not verdict.met and not manual:
        missing = "; ".join(
            f"{line.label}: {line.have} of {line.needed}" for line in verdict.missing
        )
        raise ApplicationError(
            _("Not yet renewable — %(missing)s.") % {"missing": missing}, code="renewal_not_met"
        )
    return certification_award(
        person=cert.person,
        course=cert.course,
        level=cert.level,
        actor=actor if manual else None,
        reason=reason.strip() if manual else _("Renewed from the evidence of the period."),
        evidence=verdict.as_dict(),
        renewal_of=cert,
    )


def certifications_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The daily run: renew what earned renewal, lapse what expired, send the 90/30/7-day
    reminders (each once). Safe to run twice."""
    now = now or timezone.now()
    counts = {"renewed": 0, "lapsed": 0, "reminded": 0}
    expired = Certification.objects.filter(
        status=CertificationStatus.ACTIVE, expires_at__lte=now
    ).select_related("person", "course")
    for cert in expired:
        with transaction.atomic():
            locked = Certification.objects.select_for_update().get(pk=cert.pk)
            if locked.status != CertificationStatus.ACTIVE:
                continue
            locked.status = CertificationStatus.LAPSED
            locked.save(update_fields=["status", "changed_at"])
            _event(locked, "lapsed", None, _("Expired without renewal."))
            _tell(
                locked,
                _("Your certification as %(level)s for %(course)s has lapsed")
                % {"level": locked.get_level_display(), "course": locked.course},
                _(
                    "You are no longer in the active pool for this course; talk to your program "
                    "manager about renewing."
                ),
                key=f"certification:{locked.pk}:lapsed",
            )
            counts["lapsed"] += 1
    for cert in award_selectors.expiring(within_days=max(REMINDER_DAYS), now=now):
        days_left = (cert.expires_at - now).days
        verdict = renewal_verdict(cert)
        if verdict.lines and verdict.met:
            with transaction.atomic():
                certification_renew(certification=cert, actor=None)
            counts["renewed"] += 1
            continue
        due = [d for d in REMINDER_DAYS if days_left < d and d not in cert.reminders_sent]
        if not due:
            continue
        mark = min(due)
        with transaction.atomic():
            updated = Certification.objects.filter(
                pk=cert.pk, reminders_sent=cert.reminders_sent
            ).update(reminders_sent=[*cert.reminders_sent, *due])
            if not updated:
                continue
            missing = "; ".join(
                f"{line.label}: {line.have} of {line.needed}" for line in verdict.missing
            )
            _tell(
                cert,
                _("Your certification as %(level)s for %(course)s expires in %(days)s days")
                % {"level": cert.get_level_display(), "course": cert.course, "days": days_left},
                _("To renew: %(missing)s.") % {"missing": missing} if missing else "",
                key=f"certification:{cert.pk}:reminder:{mark}",
            )
            CertificationEvent.objects.create(
                certification=cert, action="reminded", reason=f"{mark} days"
            )
            counts["reminded"] += 1
    return counts


@transaction.atomic
def development_log(
    *, person: Person, title: str, hours: Decimal | float, done_on: Any
) -> DevelopmentActivity:
    """A trainer logs development (CPD) hours that count towards renewal."""
    if done_on > timezone.localdate():
        raise ApplicationError(_("The date cannot be in the future."), code="future_date")
    activity = DevelopmentActivity(
        person=person, title=title.strip(), hours=Decimal(str(hours)), done_on=done_on
    )
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def competency_rate(
    *, person: Person, competency: Competency, level: int, note: str, actor: Person
) -> CompetencyRating:
    """A master trainer records a direct judgement of one competency."""
    if not actor.has_role(Role.MASTER_TRAINER, Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only master trainers rate competencies."))
    if actor.pk == person.pk:
        raise ApplicationError(_("You cannot rate yourself."), code="self_rating")
    rating = CompetencyRating(
        person=person, competency=competency, level=level, note=note, rated_by=actor
    )
    rating.full_clean()
    rating.save()
    audit_record(actor=actor, action="competency_rated", target=rating, changes={"level": level})
    return rating


@transaction.atomic
def ladder_rule_save(
    *,
    course: Any,
    level: str,
    requirements: dict[str, Any],
    valid_months: int,
    renewal: dict[str, Any],
    actor: Person,
) -> LadderRule:
    """Set a course's (or, with no course, the default) rule for one level. The default
    applies to every course, so only a program manager of the whole organisation changes it."""
    if not actor.has_role(Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only program managers change the ladder."))
    if course is None and not actor.manages_whole_organisation:
        raise Forbidden(
            _("Only program managers of the whole organisation change the default ladder.")
        )
    errors: dict[str, str] = {}
    if level not in Level.values:
        errors["level"] = "must be co_facilitator, certified or master"
    if isinstance(valid_months, bool) or not isinstance(valid_months, int):
        errors["valid_months"] = "must be a whole number of months"
    elif not 1 <= valid_months <= 120:
        errors["valid_months"] = "must be from 1 to 120 months"
    if not requirements:
        errors["requirements"] = "give at least one requirement (or the level is free)"
    try:
        ladder.validate_requirements(requirements)
    except ladder.RuleError as exc:
        errors.update(exc.errors)
    try:
        ladder.validate_requirements(renewal, renewal=True)
    except ladder.RuleError as exc:
        errors.update({f"renewal.{k}": v for k, v in exc.errors.items()})
    if errors:
        message = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise ApplicationError(message, code="bad_rule", extra={"errors": errors})
    rule, _created = LadderRule.objects.update_or_create(
        course=course,
        level=level,
        defaults={"requirements": requirements, "valid_months": valid_months, "renewal": renewal},
    )
    rule.full_clean()
    audit_record(
        actor=actor,
        action="ladder_rule_saved",
        target=rule,
        changes={"requirements": requirements, "valid_months": valid_months, "renewal": renewal},
    )
    return rule
