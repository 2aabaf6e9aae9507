"""The demo's training calendar: courses, venues and sessions around today, the demo logins'
places and teaching, attendance on the past, discussions, and nothing written (or mailed) twice."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Count, Q
from django.utils import timezone

from cascade.core.models import Notification
from cascade.delivery import rules
from cascade.delivery.models import (
    Attendance,
    Booking,
    Course,
    Modality,
    Session,
    SessionStaff,
    StaffRole,
    Thread,
    TimeSlot,
    Venue,
)
from cascade.delivery.services.enrolment import session_enrol, waitlist_position
from cascade.demo.delivery import DeliverySummary
from cascade.demo.delivery_plan import SESSIONS, WORKSHOP_TITLE
from cascade.demo.learning import SPRING
from cascade.demo.loader import load_demo, summary_text
from cascade.demo.organisation import (
    CANDIDATE_EMAIL,
    LEARNER_EMAIL,
    MASTER_EMAIL,
    TRAINER_EMAIL,
    DemoSummary,
)
from cascade.learning.models import Enrolment, StepKind
from cascade.people.models import Person

pytestmark = pytest.mark.django_db


def test_demo_loads_a_training_calendar() -> None:
    load_demo()  # one load for all the checks: it takes a few seconds

    _check_no_email()
    _check_shape()
    _check_counters()
    _check_trainer()
    _check_learner()
    _check_past_attendance()
    _check_workshop()
    _check_discussions()


def _check_shape() -> None:
    """Five courses, three venues in two regions, fourteen sessions of every kind."""
    assert Course.objects.count() == 5
    assert Course.objects.filter(title="Clinical Record Keeping (online)").exists()
    venues = Venue.objects.all()
    assert venues.count() == 3
    assert set(venues.values_list("region", flat=True)) == {"North", "Central"}
    assert all(len(v.address.splitlines()) >= 3 for v in venues)

    sessions = Session.objects.all()
    assert sessions.count() == len(SESSIONS) == 14
    assert set(sessions.values_list("modality", flat=True)) == set(Modality.values)
    assert not sessions.filter(~Q(modality=Modality.IN_PERSON), join_url="").exists()
    assert not sessions.filter(modality=Modality.IN_PERSON).exclude(join_url="").exists()
    assert sessions.filter(status=Session.Status.DRAFT).count() == 1
    cancelled = sessions.get(status=Session.Status.CANCELLED)
    assert "norovirus" in cancelled.cancel_reason
    assert cancelled.cancelled_at is not None
    multi_day = sessions.annotate(parts=Count("slots")).filter(parts__gte=2)
    assert multi_day.count() == 2
    full = [s for s in sessions.filter(status=Session.Status.OPEN) if s.is_full]
    assert [s.title for s in full] == ["De-escalating Conflict: Northbridge General"]
    assert full[0].bookings.filter(status=Booking.Status.WAITLISTED).count() == 3
    assert sessions.filter(bookings__status=Booking.Status.PENDING).distinct().count() == 1

    # From three weeks ago to six weeks ahead, every part on the day it was planned for.
    today = timezone.localdate()
    for slot in TimeSlot.objects.all():
        assert today - timedelta(days=21) <= timezone.localdate(slot.starts_at)
        assert timezone.localdate(slot.ends_at) <= today + timedelta(days=42)
    # Every session is led; nobody teaches two sessions at overlapping times.
    assert not sessions.exclude(staff__role=StaffRole.LEAD).exists()
    for person_id in SessionStaff.objects.values_list("person_id", flat=True).distinct():
        parts = sorted(
            TimeSlot.objects.filter(session__staff__person_id=person_id).values_list(
                "starts_at", "ends_at"
            )
        )
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(parts))


def _check_counters() -> None:
    """The place counter is what enrolment keeps: the number of enrolled bookings."""
    sessions = Session.objects.annotate(
        enrolled=Count("bookings", filter=Q(bookings__status=Booking.Status.ENROLLED)),
        waiting=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
    )
    for session in sessions:
        assert session.enrolled_count == session.enrolled, session.title
        assert session.enrolled_count <= session.capacity
        if session.waiting:
            assert session.is_full, session.title
    assert not Booking.objects.filter(session__status=Session.Status.DRAFT).exists()


def _check_trainer() -> None:
    """The demo trainer leads a session coming up and one running now, whose roll is hers to
    take; she also led a past one."""
    trainer = Person.objects.get(email=TRAINER_EMAIL)
    now = timezone.now()
    led = Session.objects.filter(
        staff__person=trainer, staff__role=StaffRole.LEAD, status=Session.Status.OPEN
    )
    assert led.filter(starts_at__gt=now).exists()
    running = led.get(starts_at__lte=now, ends_at__gte=now - timedelta(days=1))
    assert running.slots.count() == 2
    assert running.enrolled_count > 5
    assert not running.bookings.exclude(attendance=Attendance.NOT_MARKED).exists()
    assert rules.can_mark_attendance(trainer, running)
    assert led.filter(ends_at__lt=now - timedelta(days=2)).exists()


def _check_learner() -> None:
    """The demo learner: one place coming up, second on the full session's waitlist, and an
    open session she can still join."""
    learner = Person.objects.get(email=LEARNER_EMAIL)
    now = timezone.now()
    mine = Booking.objects.filter(person=learner, session__starts_at__gt=now)
    enrolled = mine.get(status=Booking.Status.ENROLLED)
    assert enrolled.session.title == "Sepsis Recognition and Response: ward teams"
    queued = mine.get(status=Booking.Status.WAITLISTED)
    assert queued.session.is_full
    assert waitlist_position(queued) == 2
    assert mine.count() == 2

    open_to_her = (
        rules.sessions_visible(learner)
        .filter(status=Session.Status.OPEN, starts_at__gt=now, self_enrol=True)
        .exclude(bookings__person=learner)
    )
    joinable = [s for s in open_to_her if not s.is_full]
    assert joinable
    booking = session_enrol(session=joinable[0], person=learner, actor=learner)
    assert booking.status == Booking.Status.ENROLLED


def _check_past_attendance() -> None:
    """Sessions that ended have their roll taken: mostly present, some late, absent, excused."""
    ended = Session.objects.filter(status=Session.Status.OPEN, ends_at__lt=timezone.now())
    assert ended.count() == 4
    booked = Booking.objects.filter(session__in=ended, status=Booking.Status.ENROLLED)
    assert not booked.filter(attendance=Attendance.NOT_MARKED).exists()
    marks = dict(booked.values_list("attendance").annotate(n=Count("id")))
    assert marks[Attendance.PRESENT] > booked.count() * 0.6
    assert marks.get(Attendance.LATE, 0) > 0
    assert marks.get(Attendance.ABSENT, 0) + marks.get(Attendance.EXCUSED, 0) > 0
    learner = booked.get(person__email=LEARNER_EMAIL)
    assert learner.attendance == Attendance.PRESENT
    assert learner.attendance_marked_by is not None


def _check_workshop() -> None:
    """The spring intake's live step is a session for that cohort, every member on it."""
    workshop = Session.objects.select_related("cohort", "step").get(title=WORKSHOP_TITLE)
    assert workshop.cohort is not None
    assert workshop.cohort.name == SPRING
    assert workshop.step is not None
    assert workshop.step.kind == StepKind.LIVE_SESSION
    assert workshop.staff.get(role=StaffRole.LEAD).person.email == MASTER_EMAIL
    members = set(
        Enrolment.objects.filter(cohort=workshop.cohort).values_list("person_id", flat=True)
    )
    on_it = set(
        workshop.bookings.filter(status=Booking.Status.ENROLLED).values_list("person_id", flat=True)
    )
    assert on_it == members
    assert Person.objects.get(email=CANDIDATE_EMAIL).pk in on_it
    assert timezone.localdate(workshop.starts_at) == timezone.localdate() + timedelta(days=3)


def _check_discussions() -> None:
    """Three threads, counters right, the question answered by the demo trainer."""
    threads = Thread.objects.annotate(posts_n=Count("posts"))
    assert threads.count() == 3
    for thread in threads:
        assert thread.post_count == thread.posts_n >= 2
        assert thread.last_activity_at >= thread.created_at
    question = threads.get(kind=Thread.Kind.QUESTION)
    assert question.course is not None
    assert question.answer is not None
    assert question.answer.author is not None
    assert question.answer.author.email == TRAINER_EMAIL
    assert {t.cohort_id is not None for t in threads} == {True, False}


def _check_no_email() -> None:
    """People were told in the app (enrolled, waitlisted, cancelled, new posts); none mailed."""
    assert Notification.objects.filter(recipient__email=LEARNER_EMAIL).count() >= 2
    assert not Notification.objects.exclude(email_status=Notification.EmailStatus.NONE).exists()
    assert mail.outbox == []


def test_the_summary_says_when_only_the_calendar_was_added() -> None:
    added = DeliverySummary(sessions_created=14, bookings_created=167, courses_created=5)

    text = summary_text(DemoSummary(people=150), added)

    lines = text.splitlines()
    assert lines[0] == "Northbridge Health was already loaded (150 people)."
    assert lines[1].startswith("Training calendar: 14 sessions with 167 bookings, 5 courses")
    assert lines[2].startswith("Sign in at ")
    assert summary_text(DemoSummary(people=150), DeliverySummary()).startswith(
        "Northbridge Health is already loaded (150 people); nothing changed."
    )
