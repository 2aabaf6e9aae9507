"""The delivery API, part two: places on sessions (enrol, nominate, cancel, the roster) and
attendance (marks and self check-in).

Each endpoint is tried by the people who may use it and by those who may not, who get 403 or
404 and change nothing; bad input answers a 4xx problem document, never a 500.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from cascade.delivery.models import Booking
from cascade.delivery.services import enrolment as enrol_services
from cascade.delivery.tests.api_support import (
    API,
    assert_problem,
    auth,
    bookings_state,
    get,
    post,
    send,
    trainer_on,
    utc,
)
from cascade.delivery.tests.factories import in_days, make_session
from cascade.people.models import Role

pytestmark = pytest.mark.django_db


# --- Places ---------------------------------------------------------------------------------


def test_enrol_yourself_then_again_then_the_waitlist(client, program_manager, make_person):
    session = make_session(program_manager, capacity=1)
    first, second = make_person(Role.LEARNER), make_person(Role.LEARNER)

    created = post(client, first, f"/sessions/{session.pk}/enrolments")
    again = send(client, "post", first, f"/sessions/{session.pk}/enrolments", {"person_id": None})
    queued = post(client, second, f"/sessions/{session.pk}/enrolments", {})

    booking = Booking.objects.get(person=first)
    assert created.status_code == 201
    assert created.json() == {
        "id": booking.pk,
        "session_id": session.pk,
        "person_id": first.pk,
        "status": "enrolled",
        "waitlist_position": None,
        "late_cancel": False,
        "attendance": "",
        "checked_in_at": None,
    }
    assert again.status_code == 200
    assert again.json() == created.json()
    assert queued.status_code == 201
    assert (queued.json()["status"], queued.json()["waitlist_position"]) == ("waitlisted", 1)
    session.refresh_from_db()
    assert session.enrolled_count == 1


def test_enrol_yourself_by_your_own_id(client, program_manager, learner):
    session = make_session(program_manager)
    response = post(
        client, learner, f"/sessions/{session.pk}/enrolments", {"person_id": learner.pk}
    )
    assert response.status_code == 201
    assert bookings_state() == [(session.pk, learner.pk, "enrolled")]


def test_program_manager_enrols_someone(client, program_manager, learner):
    session = make_session(program_manager, self_enrol=False)

    response = post(
        client, program_manager, f"/sessions/{session.pk}/enrolments", {"person_id": learner.pk}
    )

    assert response.status_code == 201
    assert response.json()["status"] == "enrolled"
    assert Booking.objects.get().nominated_by == program_manager
    assert_problem(
        post(client, program_manager, f"/sessions/{session.pk}/enrolments", {"person_id": 999999}),
        400,
        "unknown_person",
    )


def test_line_manager_nominates_a_report_for_approval(client, program_manager, make_person):
    session = make_session(program_manager, needs_approval=True)
    boss = make_person(Role.MANAGER)
    report = make_person(Role.LEARNER, manager=boss)

    response = post(client, boss, f"/sessions/{session.pk}/enrolments", {"person_id": report.pk})

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert Booking.objects.get().nominated_by == boss


def test_learner_cannot_enrol_a_stranger(client, program_manager, learner, make_person):
    session = make_session(program_manager)
    stranger = make_person(Role.LEARNER)

    for person_id in (stranger.pk, 999999):
        response = post(
            client, learner, f"/sessions/{session.pk}/enrolments", {"person_id": person_id}
        )
        assert_problem(response, 403, "not_your_report")
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"person_id": "abc"}, 422, "validation_error"),
        ({"person_id": [1]}, 422, "validation_error"),
        ({"person_id": 10**30}, 422, "validation_error"),
        ("{broken", 400, "bad_request"),
    ],
)
def test_bad_enrolment_input_is_a_problem(client, program_manager, learner, body, status, code):
    session = make_session(program_manager)
    response = client.post(
        f"{API}/sessions/{session.pk}/enrolments",
        body,
        content_type="application/json",
        headers=auth(learner),
    )
    assert_problem(response, status, code)
    assert not Booking.objects.exists()


def test_enrolment_refusals_come_from_the_service(client, program_manager, learner):
    closed = make_session(program_manager, self_enrol=False)
    draft = make_session(program_manager, publish=False)

    assert_problem(
        post(client, learner, f"/sessions/{closed.pk}/enrolments"), 400, "self_enrol_closed"
    )
    assert_problem(post(client, learner, f"/sessions/{draft.pk}/enrolments"), 404, "not_found")
    assert_problem(
        post(
            client, program_manager, f"/sessions/{draft.pk}/enrolments", {"person_id": learner.pk}
        ),
        400,
        "not_open",
    )
    assert not Booking.objects.exists()


def test_read_token_cannot_enrol(client, program_manager, learner):
    session = make_session(program_manager)
    response = send(client, "post", learner, f"/sessions/{session.pk}/enrolments", scope="read")
    assert_problem(response, 403, "insufficient_scope")
    assert not Booking.objects.exists()


def test_roster_for_managers_and_trainers_only(client, program_manager, learner, make_person):
    session = make_session(program_manager, capacity=1, needs_approval=True)
    trainer = trainer_on(session, program_manager, make_person)
    boss = make_person(Role.MANAGER)
    report = make_person(Role.LEARNER, manager=boss, display_name="Rae Report")
    second = make_person(Role.LEARNER, display_name="Sam Second")
    third = make_person(Role.LEARNER, display_name="Tam Third")
    enrolled = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    waiting_2 = enrol_services.session_enrol(session=session, person=second, actor=second)
    waiting_3 = enrol_services.session_enrol(session=session, person=third, actor=third)
    pending = enrol_services.session_nominate(session=session, person=report, actor=boss)

    response = get(client, trainer, f"/sessions/{session.pk}/enrolments")

    assert response.status_code == 200
    data = response.json()
    assert (data["session_id"], data["capacity"]) == (session.pk, 1)
    assert data["enrolled"] == [
        {
            "booking_id": enrolled.pk,
            "person": {
                "id": learner.pk,
                "display_name": "Lee Learner",
                "email": "learner@example.org",
            },
            "status": "enrolled",
            "waitlist_position": None,
            "nominated_by_id": None,
            "attendance": "",
            "checked_in_at": None,
        }
    ]
    assert [(e["booking_id"], e["waitlist_position"]) for e in data["waitlist"]] == [
        (waiting_2.pk, 1),
        (waiting_3.pk, 2),
    ]
    assert [(e["booking_id"], e["nominated_by_id"]) for e in data["pending"]] == [
        (pending.pk, boss.pk)
    ]
    assert get(client, program_manager, f"/sessions/{session.pk}/enrolments").json() == data
    # A learner on the session, a line manager and a stranger get the same as a missing one.
    for who in (learner, boss, make_person(Role.LEARNER)):
        assert_problem(get(client, who, f"/sessions/{session.pk}/enrolments"), 404, "not_found")
    assert_problem(get(client, program_manager, "/sessions/999999/enrolments"), 404, "not_found")


def test_cancel_your_place_gives_it_to_the_first_waiting(
    client, program_manager, learner, make_person
):
    session = make_session(program_manager, capacity=1)
    other = make_person(Role.LEARNER)
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    theirs = enrol_services.session_enrol(session=session, person=other, actor=other)

    response = post(client, learner, f"/session-enrolments/{mine.pk}/cancel")
    again = post(client, learner, f"/session-enrolments/{mine.pk}/cancel")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["late_cancel"]) == ("cancelled", False)
    assert again.json() == response.json()
    theirs.refresh_from_db()
    assert theirs.status == "enrolled"


def test_late_cancel_is_recorded(client, program_manager, learner):
    session = make_session(program_manager, starts_at=in_days(1))
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    response = post(client, learner, f"/session-enrolments/{mine.pk}/cancel")
    assert response.json()["late_cancel"] is True


def test_only_the_person_or_a_manager_cancels_a_place(
    client, program_manager, learner, make_person
):
    session = make_session(program_manager)
    trainer = trainer_on(session, program_manager, make_person)
    booking = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    stranger = make_person(Role.LEARNER)

    assert_problem(
        post(client, stranger, f"/session-enrolments/{booking.pk}/cancel"), 404, "not_found"
    )
    assert_problem(
        post(client, trainer, f"/session-enrolments/{booking.pk}/cancel"), 403, "forbidden"
    )
    assert_problem(post(client, learner, "/session-enrolments/999999/cancel"), 404, "not_found")
    assert bookings_state() == [(session.pk, learner.pk, "enrolled")]

    by_manager = post(client, program_manager, f"/session-enrolments/{booking.pk}/cancel")
    assert by_manager.status_code == 200
    assert bookings_state() == [(session.pk, learner.pk, "cancelled")]


# --- Attendance -----------------------------------------------------------------------------


def test_attendance_is_marked_by_the_trainer_once_it_starts(
    client, program_manager, learner, make_person
):
    start = in_days(2)
    session = make_session(program_manager, starts_at=start)
    trainer = trainer_on(session, program_manager, make_person)
    other = make_person(Role.LEARNER, display_name="Zed Other")
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    theirs = enrol_services.session_enrol(session=session, person=other, actor=other)
    path = f"/sessions/{session.pk}/attendance"
    marks = {"marks": [{"booking_id": mine.pk, "attendance": "present"}]}

    assert_problem(send(client, "put", trainer, path, marks), 400, "not_started")
    with time_machine.travel(start + timedelta(minutes=5)):
        done = send(
            client,
            "put",
            trainer,
            path,
            {
                "marks": [
                    {"booking_id": mine.pk, "attendance": "present"},
                    {"booking_id": theirs.pk, "attendance": "excused"},
                ]
            },
        )
        again = send(client, "put", program_manager, path, marks)
        cleared = send(
            client, "put", trainer, path, {"marks": [{"booking_id": theirs.pk, "attendance": ""}]}
        )

    assert done.status_code == 200, done.content
    assert done.json()["changed"] == 2
    assert [(i["booking_id"], i["attendance"]) for i in done.json()["items"]] == [
        (mine.pk, "present"),
        (theirs.pk, "excused"),
    ]
    assert again.json()["changed"] == 0
    assert cleared.json()["changed"] == 1
    read = get(client, trainer, path).json()
    assert (read["session_id"], read["changed"]) == (session.pk, 0)
    assert [(i["booking_id"], i["attendance"]) for i in read["items"]] == [
        (mine.pk, "present"),
        (theirs.pk, ""),
    ]


def test_learners_cannot_see_or_mark_attendance(client, program_manager, learner):
    start = in_days(2)
    session = make_session(program_manager, starts_at=start)
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    path = f"/sessions/{session.pk}/attendance"

    with time_machine.travel(start + timedelta(minutes=5)):
        assert_problem(get(client, learner, path), 404, "not_found")
        marked = send(
            client,
            "put",
            learner,
            path,
            {"marks": [{"booking_id": mine.pk, "attendance": "present"}]},
        )

    assert_problem(marked, 404, "not_found")
    mine.refresh_from_db()
    assert mine.attendance == ""


@pytest.mark.parametrize(
    ("marks", "status", "code"),
    [
        ([{"booking_id": 0, "attendance": "asleep"}], 422, "validation_error"),
        ([{"attendance": "present"}], 422, "validation_error"),
        ("present", 422, "validation_error"),
        ([{"booking_id": 999999, "attendance": "present"}], 400, "not_enrolled"),
        ("dupe", 422, "validation_error"),
    ],
)
def test_bad_marks_change_nothing(client, program_manager, learner, marks, status, code):
    start = in_days(2)
    session = make_session(program_manager, starts_at=start)
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    if marks == "dupe":
        marks = [{"booking_id": mine.pk, "attendance": "present"}] * 2
    elif isinstance(marks, list) and marks and marks[0].get("booking_id") == 0:
        marks = [{"booking_id": mine.pk, "attendance": "asleep"}]

    with time_machine.travel(start + timedelta(minutes=5)):
        response = send(
            client, "put", program_manager, f"/sessions/{session.pk}/attendance", {"marks": marks}
        )

    assert_problem(response, status, code)
    mine.refresh_from_db()
    assert mine.attendance == ""


def test_check_in_with_the_room_code(client, program_manager, learner, make_person):
    start = in_days(2)
    session = make_session(program_manager, starts_at=start)
    mine = enrol_services.session_enrol(session=session, person=learner, actor=learner)
    outsider = make_person(Role.LEARNER)
    path = f"/sessions/{session.pk}/check-in"
    code = {"code": session.check_in_code.lower()}

    assert_problem(post(client, learner, path, code), 400, "check_in_closed")
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        wrong = post(client, learner, path, {"code": "NOPE00"})
        not_on_it = post(client, outsider, path, code)
        done = post(client, learner, path, code)
        twice = post(client, learner, path, code)

    assert_problem(wrong, 400, "wrong_code")
    assert_problem(not_on_it, 403, "not_enrolled")
    assert done.status_code == 200
    assert (done.json()["id"], done.json()["attendance"]) == (mine.pk, "present")
    assert done.json()["checked_in_at"] == utc(start + timedelta(minutes=2))
    assert twice.json() == done.json()
    assert_problem(post(client, learner, path, {"code": ""}), 422, "validation_error")
    assert_problem(post(client, learner, path, {}), 422, "validation_error")


def test_check_in_on_a_hidden_session_is_404(client, program_manager, learner):
    draft = make_session(program_manager, publish=False)
    response = post(
        client, learner, f"/sessions/{draft.pk}/check-in", {"code": draft.check_in_code}
    )
    assert_problem(response, 404, "not_found")
