"""Places, the waitlist and its promotion, nominations with approval, cancellation cut-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from cascade.core.errors import ApplicationError
from cascade.core.models import Notification
from cascade.delivery.models import Booking, Session
from cascade.delivery.services import enrolment as services
from cascade.delivery.tests.factories import in_days, make_session
from cascade.people.models import Role

pytestmark = pytest.mark.django_db(transaction=False)


def test_places_then_waitlist_then_promotion_in_order(make_person, program_manager):
    session = make_session(program_manager, capacity=2)
    a, b, c, d = (make_person(Role.LEARNER) for _ in range(4))

    ba = services.session_enrol(session=session, person=a, actor=a)
    bb = services.session_enrol(session=session, person=b, actor=b)
    bc = services.session_enrol(session=session, person=c, actor=c)
    bd = services.session_enrol(session=session, person=d, actor=d)

    session.refresh_from_db()
    assert (ba.status, bb.status, bc.status, bd.status) == (
        "enrolled",
        "enrolled",
        "waitlisted",
        "waitlisted",
    )
    assert session.enrolled_count == 2
    assert session.state == "full"
    assert services.waitlist_position(bc) == 1
    assert services.waitlist_position(bd) == 2

    services.booking_cancel(booking=ba, actor=a)

    session.refresh_from_db()
    bc.refresh_from_db()
    bd.refresh_from_db()
    assert bc.status == "enrolled"
    assert bd.status == "waitlisted"
    assert services.waitlist_position(bd) == 1
    assert session.enrolled_count == 2
    promoted = Notification.objects.get(recipient=c, title__startswith="A place opened up")
    assert promoted.calendar.startswith("BEGIN:VCALENDAR")
    assert "METHOD:REQUEST" in promoted.calendar


def test_enrol_twice_changes_nothing(make_person, program_manager):
    session = make_session(program_manager, capacity=3)
    a = make_person(Role.LEARNER)
    first = services.session_enrol(session=session, person=a, actor=a)
    again = services.session_enrol(session=session, person=a, actor=a)
    session.refresh_from_db()
    assert first.pk == again.pk
    assert session.enrolled_count == 1
    assert Booking.objects.filter(session=session).count() == 1


def test_enrolment_email_carries_an_ics_invitation(
    make_person, program_manager, django_capture_on_commit_callbacks
):
    session = make_session(program_manager, capacity=3)
    a = make_person(Role.LEARNER)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_enrol(session=session, person=a, actor=a)
    sent = [m for m in mail.outbox if m.to == [a.email]]
    assert len(sent) == 1
    (name, content, mimetype) = sent[0].attachments[0]
    assert name == "invite.ics"
    assert mimetype == "text/calendar; method=REQUEST"
    assert "BEGIN:VEVENT" in content


def test_cancel_before_cutoff_is_not_late_and_after_is(make_person, program_manager):
    session = make_session(program_manager, capacity=3, starts_at=in_days(5))
    a, b = make_person(Role.LEARNER), make_person(Role.LEARNER)
    ba = services.session_enrol(session=session, person=a, actor=a)
    bb = services.session_enrol(session=session, person=b, actor=b)

    services.booking_cancel(booking=ba, actor=a)
    with time_machine.travel(session.starts_at - timedelta(hours=2)):
        services.booking_cancel(booking=bb, actor=b)

    ba.refresh_from_db()
    bb.refresh_from_db()
    assert (ba.status, ba.late_cancel) == ("cancelled", False)
    assert (bb.status, bb.late_cancel) == ("cancelled", True)
    session.refresh_from_db()
    assert session.enrolled_count == 0


def test_self_enrol_closed_is_refused_and_nothing_written(make_person, program_manager):
    session = make_session(program_manager, capacity=3, self_enrol=False)
    a = make_person(Role.LEARNER)
    with pytest.raises(ApplicationError) as exc:
        services.session_enrol(session=session, person=a, actor=a)
    assert exc.value.code == "self_enrol_closed"
    assert not Booking.objects.filter(session=session).exists()


def test_nomination_with_approval_waits_then_takes_a_place(make_person, program_manager):
    session = make_session(program_manager, capacity=1, needs_approval=True)
    boss = make_person(Role.MANAGER)
    report = make_person(Role.LEARNER, manager=boss)
    stranger = make_person(Role.LEARNER)

    booking = services.session_nominate(session=session, person=report, actor=boss)
    assert booking.status == "pending"
    session.refresh_from_db()
    assert session.enrolled_count == 0

    with pytest.raises(ApplicationError) as exc:
        services.session_nominate(session=session, person=stranger, actor=boss)
    assert exc.value.code == "not_your_report"

    decided = services.booking_decide(booking=booking, approve=True, actor=program_manager)
    assert decided.status == "enrolled"
    assert decided.decided_by == program_manager


def test_cancelled_session_refuses_enrolment(make_person, program_manager):
    from cascade.delivery.services.sessions import session_cancel

    session = make_session(program_manager, capacity=3)
    session_cancel(session=session, actor=program_manager, reason="Trainer ill")
    a = make_person(Role.LEARNER)
    with pytest.raises(ApplicationError) as exc:
        services.session_enrol(session=session, person=a, actor=a)
    assert exc.value.code == "session_cancelled"
    assert Session.objects.get(pk=session.pk).enrolled_count == 0
