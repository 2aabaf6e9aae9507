"""Session pages: the finder, a session's page per role, places, planning and its refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cascade.delivery.models import Booking, Session, SessionStaff, TimeSlot
from cascade.delivery.services.enrolment import session_enrol
from cascade.delivery.services.sessions import staff_assign
from cascade.delivery.tests.factories import in_days, make_course, make_session, make_venue
from cascade.people.models import Role

pytestmark = pytest.mark.django_db


def test_finder_lists_open_sessions_with_places_and_hides_drafts(
    client, make_person, program_manager
):
    open_one = make_session(program_manager, capacity=4, title="Open handling")
    make_session(program_manager, capacity=4, title="Secret draft", publish=False)
    learner = make_person(Role.LEARNER)
    client.force_login(learner)

    page = client.get("/sessions/").content.decode()

    assert "Open handling" in page
    assert "4 places left" in page
    assert "Secret draft" not in page
    assert f"/sessions/{open_one.pk}/" in page


def test_finder_filters_by_text_and_modality(client, make_person, program_manager):
    make_session(program_manager, title="Sepsis recognition")
    make_session(program_manager, title="Conflict online", modality="virtual")
    client.force_login(make_person(Role.LEARNER))

    by_text = client.get("/sessions/", {"q": "sepsis"}).content.decode()
    by_mode = client.get("/sessions/", {"modality": "virtual"}).content.decode()

    assert "Sepsis recognition" in by_text
    assert "Conflict online" not in by_text
    assert "Conflict online" in by_mode
    assert "Sepsis recognition" not in by_mode


def test_finder_query_count_does_not_grow(
    client, make_person, program_manager, django_assert_max_num_queries
):
    learner = make_person(Role.LEARNER)
    for _ in range(3):
        session_enrol(
            session=make_session(program_manager, capacity=2), person=learner, actor=learner
        )
    client.force_login(learner)
    with django_assert_max_num_queries(12) as few:
        client.get("/sessions/")
    for _ in range(6):
        make_session(program_manager, capacity=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/sessions/")


def test_draft_session_is_404_for_learners(client, make_person, program_manager):
    draft = make_session(program_manager, publish=False)
    client.force_login(make_person(Role.LEARNER))
    assert client.get(f"/sessions/{draft.pk}/").status_code == 404
    assert client.post(f"/sessions/{draft.pk}/enrol/").status_code == 404
    assert not Booking.objects.exists()


def test_enrol_waitlist_and_promotion_through_the_pages(client, make_person, program_manager):
    session = make_session(program_manager, capacity=1)
    first, second = make_person(Role.LEARNER), make_person(Role.LEARNER)

    client.force_login(first)
    client.post(f"/sessions/{session.pk}/enrol/")
    client.force_login(second)
    page = client.post(f"/sessions/{session.pk}/enrol/", follow=True).content.decode()
    assert "number 1 on the waitlist" in page

    client.force_login(first)
    client.post(f"/sessions/{session.pk}/leave/")
    client.force_login(second)
    page = client.get(f"/sessions/{session.pk}/").content.decode()

    assert "You are enrolled" in page
    assert Booking.objects.get(session=session, person=second).status == "enrolled"


def test_enrol_needs_post(client, make_person, program_manager):
    session = make_session(program_manager)
    client.force_login(make_person(Role.LEARNER))
    assert client.get(f"/sessions/{session.pk}/enrol/").status_code == 405
    assert not Booking.objects.exists()


def test_late_cancel_warning_shown_after_cutoff(client, make_person, program_manager):
    session = make_session(program_manager, starts_at=in_days(3))
    learner = make_person(Role.LEARNER)
    session_enrol(session=session, person=learner, actor=learner)
    with time_machine.travel(session.starts_at - timedelta(hours=5)):
        client.force_login(learner)
        page = client.get(f"/sessions/{session.pk}/").content.decode()
        assert "cancelling now is recorded as late" in page
        done = client.post(f"/sessions/{session.pk}/leave/", follow=True).content.decode()
    assert "late cancellation" in done
    assert Booking.objects.get(person=learner).late_cancel is True


def test_roster_only_for_managers_and_trainers(client, make_person, program_manager):
    session = make_session(program_manager)
    trainer = make_person(Role.TRAINER)
    staff_assign(session=session, person=trainer, role="lead", actor=program_manager)
    learner = make_person(Role.LEARNER, display_name="Lee Learner")
    session_enrol(session=session, person=learner, actor=learner)
    other = make_person(Role.LEARNER)
    session_enrol(session=session, person=other, actor=other)

    client.force_login(trainer)
    assert "Lee Learner" in client.get(f"/sessions/{session.pk}/").content.decode()
    assert client.get(f"/sessions/{session.pk}/attendance/").status_code == 200
    client.force_login(other)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Lee Learner" not in page
    assert client.get(f"/sessions/{session.pk}/attendance/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/check-in/qr.svg").status_code == 404


def test_learner_cannot_plan_or_change_sessions(client, make_person, program_manager):
    session = make_session(program_manager)
    client.force_login(make_person(Role.LEARNER))
    assert client.get("/sessions/new/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/edit/").status_code == 404
    assert client.post(f"/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert client.post(f"/sessions/{session.pk}/open/").status_code == 404
    assert (
        client.post(
            f"/sessions/{session.pk}/enrol-people/", {"emails": "a@example.org"}
        ).status_code
        == 404
    )
    session.refresh_from_db()
    assert session.status == "open"


def _form(course, venue, start: str, end: str, **extra):
    data = {
        "delivers": f"course:{course.pk}",
        "title": "",
        "description": "",
        "modality": "in_person",
        "venue": venue.pk,
        "room": "2.14",
        "join_url": "",
        "capacity": 12,
        "language": "en",
        "region": "",
        "leads_needed": 1,
        "co_facilitators_needed": 0,
        "self_enrol": "on",
        "cancel_cutoff_hours": 48,
        "reminder_lead_hours": 24,
        "slots-TOTAL_FORMS": 2,
        "slots-INITIAL_FORMS": 0,
        "slots-MIN_NUM_FORMS": 0,
        "slots-MAX_NUM_FORMS": 10,
        "slots-0-starts_at": start,
        "slots-0-ends_at": end,
        "slots-1-starts_at": "",
        "slots-1-ends_at": "",
    }
    data.update(extra)
    return data


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("UTC")))
def test_times_typed_in_the_viewers_zone_are_stored_in_utc_across_dst(client, make_person):
    """09:00 in London is 09:00Z before the clocks change (29 March 2026) and 08:00Z after."""
    pm = make_person(Role.PROGRAM_MANAGER, time_zone="Europe/London")
    course, venue = make_course(), make_venue()
    client.force_login(pm)
    data = _form(
        course,
        venue,
        "2026-03-27T09:00",
        "2026-03-27T12:00",
        **{"slots-1-starts_at": "2026-03-30T09:00", "slots-1-ends_at": "2026-03-30T12:00"},
    )

    response = client.post("/sessions/new/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    session = Session.objects.get(course=course)
    starts = [s.starts_at for s in TimeSlot.objects.filter(session=session).order_by("starts_at")]
    assert starts == [
        datetime(2026, 3, 27, 9, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 3, 30, 8, tzinfo=ZoneInfo("UTC")),
    ]
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    print(page[page.find("slots-list") : page.find("slots-list") + 800])
    assert page.count("09:00–12:00") == 2  # both shown at 09:00 London time
    client.force_login(make_person(Role.PROGRAM_MANAGER, time_zone="America/New_York"))
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "05:00–08:00" in page
    assert "04:00–07:00" in page


def test_new_session_over_the_venue_capacity_shows_the_error_in_place(client, program_manager):
    course, venue = make_course(), make_venue(capacity=8)
    client.force_login(program_manager)
    start = in_days(5).strftime("%Y-%m-%dT%H:%M")
    end = (in_days(5) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post("/sessions/new/", _form(course, venue, start, end, capacity=20))

    assert response.status_code == 200
    assert "holds 8 people" in response.content.decode()
    assert not Session.objects.filter(course=course).exists()


def test_venue_clash_is_refused(client, program_manager):
    venue = make_venue()
    taken = make_session(program_manager, venue=venue, starts_at=in_days(6, hour=10))
    client.force_login(program_manager)
    start = (taken.starts_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    end = (taken.starts_at + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    course = make_course()

    response = client.post("/sessions/new/", _form(course, venue, start, end))

    assert response.status_code == 200
    assert "already booked" in response.content.decode()
    assert not Session.objects.filter(course=course).exists()


def test_end_before_start_is_a_form_error(client, program_manager):
    course, venue = make_course(), make_venue()
    client.force_login(program_manager)
    response = client.post(
        "/sessions/new/", _form(course, venue, "2027-01-10T12:00", "2027-01-10T09:00")
    )
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()


def test_moving_a_session_tells_people_and_bumps_sequence(client, make_person, program_manager):
    session = make_session(program_manager, starts_at=in_days(8))
    learner = make_person(Role.LEARNER)
    session_enrol(session=session, person=learner, actor=learner)
    client.force_login(program_manager)
    new_start = in_days(9)
    data = _form(
        session.course,
        session.venue,
        new_start.strftime("%Y-%m-%dT%H:%M"),
        (new_start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        capacity=10,
    )
    data.pop("delivers")

    response = client.post(f"/sessions/{session.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert session.sequence == 1
    assert session.starts_at == new_start
    assert TimeSlot.objects.filter(session=session, cancelled=True).count() == 1
    assert learner.notifications.filter(title__contains="has changed").count() == 1


def test_cancel_keeps_everything_and_tells_everyone(client, make_person, program_manager):
    session = make_session(program_manager)
    learner = make_person(Role.LEARNER)
    session_enrol(session=session, person=learner, actor=learner)
    client.force_login(program_manager)

    assert client.post(f"/sessions/{session.pk}/cancel/", {"reason": ""}).status_code == 200
    session.refresh_from_db()
    assert session.status == "open"

    client.post(f"/sessions/{session.pk}/cancel/", {"reason": "Trainer is ill"})

    session.refresh_from_db()
    assert session.status == "cancelled"
    assert Booking.objects.get(session=session).status == "enrolled"  # kept
    note = learner.notifications.get(title__startswith="Cancelled")
    assert note.body == "Trainer is ill"
    assert "METHOD:CANCEL" in note.calendar
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "This session is cancelled." in page


def test_staff_assignment_refuses_a_clash_with_a_message(client, make_person, program_manager):
    trainer = make_person(Role.TRAINER, email="t@example.org")
    first = make_session(program_manager, starts_at=in_days(10, hour=9))
    staff_assign(session=first, person=trainer, role="lead", actor=program_manager)
    second = make_session(program_manager, starts_at=in_days(10, hour=10))
    client.force_login(program_manager)

    page = client.post(
        f"/sessions/{second.pk}/staff/", {"email": "t@example.org", "role": "lead"}, follow=True
    ).content.decode()

    assert "is already booked" in page
    assert not SessionStaff.objects.filter(session=second).exists()


def test_bulk_enrol_fills_places_then_waitlist_in_order(client, make_person, program_manager):
    session = make_session(program_manager, capacity=2)
    people = [make_person(Role.LEARNER, email=f"b{i}@example.org") for i in range(3)]
    client.force_login(program_manager)

    page = client.post(
        f"/sessions/{session.pk}/enrol-people/",
        {"emails": "b0@example.org, b1@example.org\nb2@example.org"},
        follow=True,
    ).content.decode()

    assert "2 enrolled, 1 on the waitlist" in page
    statuses = [Booking.objects.get(person=p).status for p in people]
    assert statuses == ["enrolled", "enrolled", "waitlisted"]


def test_bulk_enrol_unknown_email_changes_nothing(client, make_person, program_manager):
    session = make_session(program_manager, capacity=2)
    make_person(Role.LEARNER, email="known@example.org")
    client.force_login(program_manager)
    page = client.post(
        f"/sessions/{session.pk}/enrol-people/",
        {"emails": "known@example.org ghost@example.org"},
        follow=True,
    ).content.decode()
    assert "No active account for: ghost@example.org" in page
    assert not Booking.objects.exists()


def test_manager_nominates_report_and_pm_approves(client, make_person, program_manager):
    session = make_session(program_manager, capacity=3, needs_approval=True)
    boss = make_person(Role.MANAGER)
    report = make_person(Role.LEARNER, manager=boss, display_name="Rita Report")
    client.force_login(boss)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Rita Report" in page

    client.post(f"/sessions/{session.pk}/nominate/", {"people": [report.pk]})
    booking = Booking.objects.get(person=report)
    assert booking.status == "pending"

    client.force_login(boss)  # a line manager cannot approve
    assert (
        client.post(f"/bookings/{booking.pk}/decide/", {"decision": "approve"}).status_code == 404
    )
    client.force_login(program_manager)
    client.post(f"/bookings/{booking.pk}/decide/", {"decision": "approve"})
    booking.refresh_from_db()
    assert booking.status == "enrolled"


def test_nominating_someone_elses_report_is_refused(client, make_person, program_manager):
    session = make_session(program_manager)
    boss = make_person(Role.MANAGER)
    stranger = make_person(Role.LEARNER)
    client.force_login(boss)
    client.post(f"/sessions/{session.pk}/nominate/", {"people": [stranger.pk]})
    assert not Booking.objects.exists()


def test_courses_and_venues_pages(client, make_person, program_manager):
    client.force_login(program_manager)
    response = client.post(
        "/venues/new/",
        {
            "name": "Main hall",
            "address": "1 Road",
            "region": "North",
            "capacity": 40,
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        "/venues/new/", {"name": "X", "capacity": 0, "time_zone": "Mars/Base"}
    ).content.decode()
    assert "time zone" in bad.lower()
    response = client.post(
        "/courses/new/",
        {"title": "Sepsis recognition", "duration_minutes": 120, "required_level": "certified"},
    )
    assert response.status_code == 302
    client.force_login(make_person(Role.LEARNER))
    assert client.get("/venues/").status_code == 404
    assert client.get("/courses/new/").status_code == 404
    assert "Sepsis recognition" in client.get("/courses/").content.decode()


def test_a_scoped_program_manager_manages_only_their_units_sessions(client, program_manager):
    from cascade.learning.tests.factories import scoped_program_manager
    from cascade.people.tests.factories import OrgUnitFactory

    north, south = OrgUnitFactory(name="North"), OrgUnitFactory(name="South")
    theirs = make_session(program_manager, course=make_course(org_unit=north))
    other = make_session(program_manager, course=make_course(org_unit=south), publish=False)
    pm = scoped_program_manager(north)
    client.force_login(pm)

    assert client.get(f"/sessions/{theirs.pk}/edit/").status_code == 200
    assert client.get(f"/sessions/{other.pk}/").status_code == 404  # a draft outside the scope
    assert client.get(f"/sessions/{other.pk}/edit/").status_code == 404
    assert client.post(f"/sessions/{other.pk}/open/").status_code == 404
    other.refresh_from_db()
    assert other.status == "draft"


def test_facilitator_guide_and_trainer_files_only_for_those_who_deliver(
    client, make_person, program_manager
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    course = make_course(facilitator_guide="Open with a **story** about a fall.")
    session = make_session(program_manager, course=course)
    trainer = make_person(Role.TRAINER)
    staff_assign(session=session, person=trainer, role="lead", actor=program_manager)
    client.force_login(program_manager)
    client.post(
        f"/courses/{course.pk}/",
        {"title": "Notes", "file": SimpleUploadedFile("notes.txt", b"hello"), "for_trainers": "on"},
    )
    material = course.materials.get()
    learner = make_person(Role.LEARNER)
    session_enrol(session=session, person=learner, actor=learner)

    client.force_login(learner)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "a <strong>story</strong>" not in page
    assert "Notes" not in page
    assert client.get(f"/courses/{course.pk}/materials/{material.pk}/").status_code == 404
    assert (
        client.post(
            f"/courses/{course.pk}/", {"title": "x", "file": SimpleUploadedFile("x.txt", b"x")}
        ).status_code
        == 404
    )

    client.force_login(trainer)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "a <strong>story</strong>" in page
    download = client.get(f"/courses/{course.pk}/materials/{material.pk}/")
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
