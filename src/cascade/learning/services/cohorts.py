"""Cohorts: intakes of a program, who is enrolled, and nudging people who fall behind."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.learning.models import Cohort, Enrolment, Program
from cascade.learning.services.programs import current_version
from cascade.people.models import OrgUnit, Person, Role


@transaction.atomic
def cohort_create(
    *,
    program: Program,
    name: str,
    start_date: date,
    actor: Person,
    master_trainers: Iterable[Person] = (),
) -> Cohort:
    """Open an intake on the program's current published version."""
    version = current_version(program)
    if version is None:
        raise ApplicationError(
            _("Publish the program before opening a cohort."), code="not_published"
        )
    cohort = Cohort(program=program, version=version, name=name.strip(), start_date=start_date)
    cohort.full_clean()
    cohort.save()
    cohort.master_trainers.set(list(master_trainers))
    audit_record(actor=actor, action="learning.cohort.created", target=cohort)
    return cohort


@dataclass
class EnrolResult:
    enrolled: list[Person] = field(default_factory=list)
    already: list[Person] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def cohort_enrol(
    *, cohort: Cohort, people: Iterable[Person], actor: Person, notify: bool = True
) -> EnrolResult:
    """Enrol people (idempotent: someone already enrolled is left as they are)."""
    if cohort.status == Cohort.Status.CLOSED:
        raise ApplicationError(_("This cohort is closed."), code="cohort_closed")
    # Each person once, even if listed twice (a CSV or a unit and a pick list together).
    people = list({p.pk: p for p in people if p.is_active}.values())
    status_of = dict(
        Enrolment.objects.filter(cohort=cohort, person__in=people).values_list(
            "person_id", "status"
        )
    )
    existing = set(status_of)
    result = EnrolResult()
    new = []
    rejoined = []
    for person in people:
        if status_of.get(person.pk) == Enrolment.Status.WITHDRAWN:
            # Someone withdrawn comes back with their progress as they left it.
            rejoined.append(person.pk)
            result.enrolled.append(person)
        elif person.pk in existing:
            result.already.append(person)
        else:
            new.append(Enrolment(cohort=cohort, person=person, version=cohort.version))
            result.enrolled.append(person)
            existing.add(person.pk)
    Enrolment.objects.bulk_create(new, ignore_conflicts=True)
    if rejoined:
        Enrolment.objects.filter(cohort=cohort, person__in=rejoined).update(
            status=Enrolment.Status.ACTIVE
        )
    if result.enrolled:
        audit_record(
            actor=actor,
            action="learning.cohort.enrolled",
            target=cohort,
            changes={"people": [p.pk for p in result.enrolled]},
        )
    if notify:
        url = reverse("learning:my_path", args=[cohort.pk])
        for person in result.enrolled:
            notification_send(
                recipient=person,
                kind=NotificationKind.PROGRAM,
                title=_("You are enrolled in %(program)s") % {"program": cohort.program},
                body=_("Your cohort “%(cohort)s” starts on %(date)s.")
                % {"cohort": cohort.name, "date": cohort.start_date.isoformat()},
                url=url,
                dedupe_key=f"enrolled:{cohort.pk}",
            )
    return result


def cohort_enrol_org_unit(*, cohort: Cohort, unit: OrgUnit, actor: Person) -> EnrolResult:
    """Enrol everyone active in ``unit`` and the units below it."""
    people = Person.objects.filter(org_unit__path__startswith=unit.path, is_active=True)
    return cohort_enrol(cohort=cohort, people=people, actor=actor)


def cohort_enrol_csv(*, cohort: Cohort, csv_bytes: bytes, actor: Person) -> EnrolResult:
    """Enrol the people listed by email in a CSV (an ``email`` column, or one email a line).

    Every email must belong to an active person, or nothing is enrolled.
    """
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(_("The file is not UTF-8 text."), code="csv_encoding") from exc
    reader = csv.reader(io.StringIO(text))
    column = 0
    first = True
    lines: list[tuple[int, str]] = []  # (line number in the file, email)
    for row in reader:
        cells = [c.strip().lower() for c in row]
        if not any(cells):
            continue
        is_header, first = first and "email" in cells, False
        if is_header:
            column = cells.index("email")  # a header row names the column
            continue
        if column < len(cells) and cells[column]:
            lines.append((reader.line_num, cells[column]))
    emails = sorted({e for _line, e in lines})
    found = {
        p.email.lower(): p
        for p in Person.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=emails, is_active=True
        )
    }
    missing = [f"{line}: {e}" for line, e in lines if e not in found]
    if missing:
        raise ApplicationError(
            _("Nobody active has these emails (line: email): %(list)s")
            % {"list": ", ".join(missing[:20])},
            code="unknown_people",
            extra={"missing": missing},
        )
    return cohort_enrol(cohort=cohort, people=list(found.values()), actor=actor)


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, actor: Person) -> Enrolment:
    """Withdraw someone; their progress is kept."""
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.save(update_fields=["status"])
    audit_record(actor=actor, action="learning.enrolment.withdrawn", target=enrolment)
    return enrolment


@transaction.atomic
def enrolment_set_mentor(*, enrolment: Enrolment, mentor: Person | None, actor: Person) -> None:
    """Give an enrolled person a mentor (an active trainer or master trainer), or remove it."""
    if mentor is not None and mentor.pk == enrolment.person_id:
        raise ApplicationError(_("Nobody can mentor themselves."), code="self_mentor")
    if mentor is not None and not (
        mentor.is_active and mentor.has_role(Role.TRAINER, Role.MASTER_TRAINER)
    ):
        raise ApplicationError(
            _("A mentor must be an active trainer or master trainer."), code="not_a_mentor"
        )
    enrolment.mentor = mentor
    enrolment.save(update_fields=["mentor"])
    # A mentor may review and sign off this person's work: a privileged change.
    audit_record(
        actor=actor,
        action="learning.enrolment.mentor_set",
        target=enrolment,
        changes={"mentor": mentor.pk if mentor is not None else None},
    )


def cohort_nudge(
    *, cohort: Cohort, people: Iterable[Person], actor: Person, message: str = ""
) -> int:
    """Remind people (in-app and email) to get on with their path; at most once a day each.

    Only people actively enrolled in the cohort are reminded, whoever else is passed in.
    """
    today = timezone.localdate().isoformat()
    url = reverse("learning:my_path", args=[cohort.pk])
    people = list(people)
    enrolled = set(
        Enrolment.objects.filter(
            cohort=cohort,
            person__in=[p.pk for p in people],
            person__is_active=True,
            status=Enrolment.Status.ACTIVE,
        ).values_list("person_id", flat=True)
    )
    sent = 0
    for person in people:
        if person.pk not in enrolled:
            continue
        enrolled.discard(person.pk)  # each person once, even if passed twice
        before = person.notifications.filter(dedupe_key=f"nudge:{cohort.pk}:{today}").exists()
        notification_send(
            recipient=person,
            kind=NotificationKind.PROGRAM,
            title=_("A reminder about %(program)s") % {"program": cohort.program},
            body=message
            or _("%(actor)s reminds you to continue your path: some steps are due.")
            % {"actor": actor},
            url=url,
            dedupe_key=f"nudge:{cohort.pk}:{today}",
        )
        sent += 0 if before else 1
    return sent
