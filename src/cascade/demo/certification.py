"""The demo's certification story: candidates at every level of the ladder.

Master trainers are calibrated on a reference teach-back and hold the master level; the demo
trainer is certified on one course and co-facilitates another; other trainers are spread over
the ladder (one certification expiring within the reminder window, one suspended, one lapsed);
the demo candidate has a failed first teach-back with feedback and a second one waiting for the
demo master trainer's scores; another candidate's teach-back is in moderation. Everything goes
through the services (so credentials are signed and history recorded), then dates are moved into
the past where the story needs it. Idempotent: nothing is written once any certification exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from cascade.certification.defaults import TEACH_BACK_SLUG
from cascade.certification.models import (
    Certification,
    Observation,
    Rubric,
    VersionStatus,
)
from cascade.certification.services import awards as award_services
from cascade.certification.services import calibration as calibration_services
from cascade.certification.services import observations as obs_services
from cascade.delivery.models import Course
from cascade.demo.organisation import CANDIDATE_EMAIL, MASTER_EMAIL, PM_EMAIL, TRAINER_EMAIL
from cascade.people.models import Person, Role

CODES = [f"R{n}" for n in range(1, 11)]
REFERENCE = dict(zip(CODES, [3, 3, 2, 3, 4, 2, 3, 3, 2, 3], strict=True))


def _levels(base: int, **changes: int) -> dict[str, int]:
    levels = dict.fromkeys(CODES, base)
    levels.update(changes)
    return levels


def load_certification(rng: random.Random) -> int:
    """Add the certification story; returns the number of certifications created."""
    if Certification.objects.exists():
        return 0
    rubric = Rubric.objects.filter(slug=TEACH_BACK_SLUG, status=VersionStatus.PUBLISHED).first()
    courses = list(Course.objects.filter(archived_at__isnull=True).order_by("title"))
    people = {
        p.email: p
        for p in Person.objects.filter(
            email__in=[PM_EMAIL, MASTER_EMAIL, TRAINER_EMAIL, CANDIDATE_EMAIL]
        )
    }
    if rubric is None or len(courses) < 2 or len(people) < 4:
        return 0
    pm, master = people[PM_EMAIL], people[MASTER_EMAIL]
    # The teach-backs are about moving patients: put them on that course when it is there.
    handling = next((c for c in courses if c.slug == "safe-patient-handling"), courses[0])
    other_course = next(c for c in courses if c != handling)
    now = timezone.now()
    masters = [
        master,
        *Person.objects.filter(role_assignments__role=Role.MASTER_TRAINER, is_active=True)
        .exclude(pk=master.pk)
        .order_by("email")
        .distinct()[:3],
    ]
    trainers = list(
        Person.objects.filter(role_assignments__role=Role.TRAINER, is_active=True)
        .exclude(email__in=[TRAINER_EMAIL, CANDIDATE_EMAIL])
        .exclude(role_assignments__role=Role.MASTER_TRAINER)
        .order_by("email")
        .distinct()[:10]
    )

    # Calibration: a reference teach-back scored by the masters; each master calibrates on it.
    exercise = calibration_services.calibration_exercise_save(
        exercise=None,
        rubric=rubric,
        title="Reference teach-back: the falls pathway (10 minutes)",
        description="A trainer teaches the falls pathway to four healthcare assistants.",
        recording_url="https://video.northbridge.example/calibration/falls-pathway",
        recording=None,
        master_levels=REFERENCE,
        actor=pm,
    )
    for person in masters:
        calibration_services.calibration_attempt_submit(
            exercise=exercise, observer=person, levels=REFERENCE
        )

    created = 0

    def award(
        person: Person, course: Course, level: str, months_ago: int, reason: str
    ) -> Certification:
        nonlocal created
        created += 1
        return award_services.certification_award(
            person=person,
            course=course,
            level=level,
            actor=pm,
            reason=reason,
            now=now - timedelta(days=30 * months_ago),
        )

    for i, person in enumerate(masters):
        for course in courses:
            award(person, course, "master", 2 + i, "Founding master trainer of the programme")
    trainer = people[TRAINER_EMAIL]
    award(trainer, handling, "certified", 5, "Two co-deliveries and an observed solo delivery")
    award(
        trainer, other_course, "co_facilitator", 2, "Train-the-trainer completed, teach-back passed"
    )
    for i, person in enumerate(trainers):
        course = courses[i % len(courses)]
        level = "certified" if i % 3 else "co_facilitator"
        months = rng.randint(1, 10)
        if i == 0:
            level, months = "certified", 22  # expires within the reminder window
        if i == 2:
            level, months = "co_facilitator", 13  # expired: the sweep below lapses it
        cert = award(person, course, level, months, "Met the ladder's requirements")
        if i == 1:
            award_services.certification_suspend(
                certification=cert, actor=pm, reason="Complaint under review"
            )
    award_services.certifications_sweep(now=now)

    # Teach-backs: the demo candidate's first attempt failed with feedback; the second waits
    # for the demo master's scores; another candidate is in moderation.
    candidate = people[CANDIDATE_EMAIL]
    second_master = masters[1] if len(masters) > 1 else master
    first = obs_services.observation_submit(
        candidate=candidate,
        course=handling,
        title="Checking a sling before a transfer",
        recording_url="https://video.northbridge.example/teach-backs/sling-check-1",
        self_levels=_levels(3),
        self_notes="I ran out of time for the questions at the end.",
    )
    for observer in (master, second_master):
        obs_services.observer_assign(observation=first, observer=observer, role="master", actor=pm)
    obs_services.sheet_save(
        sheet=first.sheets.get(observer=master),
        levels=_levels(3, R3=2, R6=2, R10=2),
        evidence={"R6": "Only closed recall questions", "R3": "Over time by 4 minutes"},
        submit=True,
    )
    obs_services.sheet_save(
        sheet=first.sheets.get(observer=second_master),
        levels=_levels(3, R3=2, R6=2, R7=2, R10=2),
        evidence={"R4": "Calm, clear demonstration", "R7": "Asked 'any questions?' only"},
        submit=True,
    )
    Observation.objects.filter(pk=first.pk).update(decided_at=now - timedelta(days=14))
    second = obs_services.observation_submit(
        candidate=candidate,
        course=handling,
        title="Checking a sling before a transfer (second attempt)",
        recording_url="https://video.northbridge.example/teach-backs/sling-check-2",
        self_levels=_levels(3),
        self_notes="Planned two apply-level questions and a retrieval check at the close.",
    )
    for observer in (second_master, master):
        obs_services.observer_assign(observation=second, observer=observer, role="master", actor=pm)
    obs_services.sheet_save(
        sheet=second.sheets.get(observer=second_master),
        levels=_levels(3, R6=4),
        evidence={"R6": "Sequenced questions up to analyse; waited for answers"},
        submit=True,
    )
    if trainers:
        other = obs_services.observation_submit(
            candidate=trainers[-1],
            course=handling,
            title="Using a slide sheet with a colleague",
            recording_url="https://video.northbridge.example/teach-backs/slide-sheet",
        )
        for observer in (master, second_master):
            obs_services.observer_assign(
                observation=other, observer=observer, role="master", actor=pm
            )
        obs_services.sheet_save(
            sheet=other.sheets.get(observer=master), levels=_levels(3, R8=4), submit=True
        )
        obs_services.sheet_save(
            sheet=other.sheets.get(observer=second_master), levels=_levels(3, R8=2), submit=True
        )
    return created
