"""Attendance: roster marks, self check-in by code during the session, completion of the
program's live step, and the phone roster page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from cascade.core.errors import ApplicationError
from cascade.delivery.models import Booking
from cascade.delivery.services import attendance as services
from cascade.delivery.services.enrolment import session_enrol
from cascade.delivery.services.sessions import (
    SessionDetails,
    session_create,
    session_publish,
    staff_assign,
)
from cascade.delivery.tests.factories import in_days, make_session, make_venue
from cascade.learning.models import Enrolment, StepProgress
from cascade.learning.tests.factories import build_path, enrol, open_cohort
from cascade.people.models import Role

pytestmark = pytest.mark.django_db


def _session_with(program_manager, make_person, n=2, **kw):
    session = make_session(program_manager, starts_at=in_days(2), **kw)
    trainer = make_person(Role.TRAINER)
    staff_assign(session=session, person=trainer, role="lead", actor=program_manager)
    people = [make_person(Role.LEARNER) for _ in range(n)]
    bookings = [session_enrol(session=session, person=p, actor=p) for p in people]
    return session, trainer, bookings


def test_marks_are_saved_and_audited(program_manager, make_person):
    session, trainer, (a, b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at + timedelta(minutes=5)):
        changed = services.attendance_mark(
            session=session, marks={a.pk: "present", b.pk: "excused"}, actor=trainer
        )
    assert len(changed) == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.attendance, b.attendance) == ("present", "excused")
    assert a.attendance_marked_by == trainer


def test_marking_before_the_session_is_refused(program_manager, make_person):
    session, trainer, (a, _b) = _session_with(program_manager, make_person)
    with pytest.raises(ApplicationError) as exc:
        services.attendance_mark(session=session, marks={a.pk: "present"}, actor=trainer)
    assert exc.value.code == "not_started"


def test_a_foreign_booking_refuses_the_whole_batch(program_manager, make_person):
    session, trainer, (a, _b) = _session_with(program_manager, make_person)
    _other, _t, (stranger,) = _session_with(program_manager, make_person, n=1)
    with (
        time_machine.travel(session.starts_at + timedelta(minutes=5)),
        pytest.raises(ApplicationError),
    ):
        services.attendance_mark(
            session=session, marks={a.pk: "present", stranger.pk: "present"}, actor=trainer
        )
    a.refresh_from_db()
    assert a.attendance == ""


def test_check_in_with_code_only_while_running(program_manager, make_person):
    session, _trainer, (a, _b) = _session_with(program_manager, make_person)
    person = a.person
    with pytest.raises(ApplicationError) as exc:
        services.check_in(session=session, person=person, code=session.check_in_code)
    assert exc.value.code == "check_in_closed"

    with time_machine.travel(session.starts_at - timedelta(minutes=10)):
        booking = services.check_in(session=session, person=person, code=session.check_in_code)
    assert booking.attendance == "present"

    other = _b_person(session, person)
    with (
        time_machine.travel(session.ends_at + timedelta(minutes=1)),
        pytest.raises(ApplicationError) as exc,
    ):
        services.check_in(session=session, person=other, code=session.check_in_code)
    assert exc.value.code == "check_in_closed"


def _b_person(session, not_this):
    return Booking.objects.exclude(person=not_this).get(session=session).person


def test_late_check_in_is_recorded_late(program_manager, make_person):
    session, _trainer, (a, _b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at + timedelta(minutes=25)):
        booking = services.check_in(
            session=session, person=a.person, code=session.check_in_code.lower()
        )
    assert booking.attendance == "late"


def test_wrong_codes_are_limited(program_manager, make_person):
    session, _trainer, (a, _b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at):
        for _ in range(services.MAX_WRONG_CODES):
            with pytest.raises(ApplicationError) as exc:
                services.check_in(session=session, person=a.person, code="WRONG1")
            assert exc.value.code == "wrong_code"
        with pytest.raises(ApplicationError) as exc:
            services.check_in(session=session, person=a.person, code=session.check_in_code)
    assert exc.value.code == "too_many_attempts"


def test_someone_not_enrolled_cannot_check_in(program_manager, make_person):
    session, _trainer, _bookings = _session_with(program_manager, make_person)
    outsider = make_person(Role.LEARNER)
    with time_machine.travel(session.starts_at), pytest.raises(ApplicationError) as exc:
        services.check_in(session=session, person=outsider, code=session.check_in_code)
    assert exc.value.code == "not_enrolled"


def test_attending_a_cohort_session_completes_the_live_step(program_manager, make_person):
    program, (_lesson, live) = build_path(
        program_manager, [{"kind": "lesson"}, {"kind": "live_session", "title": "Workshop"}]
    )
    cohort = open_cohort(program, program_manager)
    candidate = make_person(Role.TRAINER)
    absent = make_person(Role.TRAINER)
    enrolment = enrol(cohort, candidate, program_manager)
    enrol(cohort, absent, program_manager)
    start = in_days(3)
    session = session_create(
        details=SessionDetails(
            title="Workshop",
            capacity=10,
            slots=[(start, start + timedelta(hours=2))],
            venue=make_venue(),
        ),
        actor=program_manager,
        cohort=cohort,
        step=live,
    )
    session = session_publish(session=session, actor=program_manager)
    outsider = make_person(Role.LEARNER)
    with pytest.raises(ApplicationError) as exc:
        session_enrol(session=session, person=outsider, actor=outsider)
    assert exc.value.code == "not_in_cohort"
    b1 = session_enrol(session=session, person=candidate, actor=candidate)
    b2 = session_enrol(session=session, person=absent, actor=absent)

    with time_machine.travel(start + timedelta(minutes=1)):
        services.attendance_mark(
            session=session, marks={b1.pk: "present", b2.pk: "absent"}, actor=program_manager
        )

    done = StepProgress.objects.get(enrolment=enrolment, step=live)
    assert done.status == "completed"
    missed = StepProgress.objects.get(enrolment__person=absent, step=live)
    assert missed.status == "failed"
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"  # the lesson is still open


def test_roster_page_marks_attendance_by_post(client, program_manager, make_person):
    session, trainer, (a, b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at + timedelta(minutes=2)):
        client.force_login(trainer)
        page = client.get(f"/sessions/{session.pk}/attendance/").content.decode()
        assert f'name="mark-{a.pk}"' in page
        response = client.post(
            f"/sessions/{session.pk}/attendance/",
            {f"mark-{a.pk}": "present", f"mark-{b.pk}": "late"},
        )
    assert response.status_code == 302
    assert sorted(Booking.objects.values_list("attendance", flat=True)) == ["late", "present"]


def test_roster_page_refuses_unknown_marks(client, program_manager, make_person):
    session, trainer, (a, _b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at + timedelta(minutes=2)):
        client.force_login(trainer)
        response = client.post(f"/sessions/{session.pk}/attendance/", {f"mark-{a.pk}": "asleep"})
    assert response.status_code == 200
    assert "Unknown attendance mark" in response.content.decode()
    a.refresh_from_db()
    assert a.attendance == ""


def test_check_in_pages(client, program_manager, make_person):
    session, _trainer, (a, _b) = _session_with(program_manager, make_person)
    with time_machine.travel(session.starts_at + timedelta(minutes=1)):
        client.force_login(a.person)
        page = client.get(f"/sessions/{session.pk}/check-in/?code={session.check_in_code}")
        assert page.status_code == 200
        assert Booking.objects.get(pk=a.pk).attendance == ""  # GET changes nothing
        wrong = client.post("/check-in/", {"code": "NOPE22"})
        assert "not right" in wrong.content.decode()
        right = client.post("/check-in/", {"code": session.check_in_code}, follow=True)
    assert "You are checked in" in right.content.decode()
    assert Booking.objects.get(pk=a.pk).attendance == "present"


def test_qr_is_an_svg_for_the_roster_viewers(client, program_manager, make_person):
    session, trainer, _bookings = _session_with(program_manager, make_person)
    client.force_login(trainer)
    response = client.get(f"/sessions/{session.pk}/check-in/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
