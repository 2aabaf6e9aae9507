"""Delivery in a real browser: a learner enrols, joins the waitlist of a full session and is
promoted when someone cancels; a trainer takes attendance on a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from cascade.delivery.models import Booking
from cascade.delivery.services.enrolment import session_enrol
from cascade.delivery.services.sessions import staff_assign
from cascade.delivery.tests.factories import in_days, make_course, make_session, make_venue
from cascade.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_learner_enrols_waits_and_is_promoted(
    page, browser, live_server, program_manager, login, axe_check, screenshot
):
    venue = make_venue(name="Northbridge Education Centre", region="North")
    sepsis = make_session(
        program_manager,
        course=make_course(title="Sepsis recognition"),
        capacity=3,
        venue=venue,
        starts_at=in_days(5, hour=9),
        title="Sepsis recognition",
    )
    handling = make_session(
        program_manager,
        course=make_course(title="Safe patient handling"),
        capacity=1,
        venue=make_venue(name="Riverside Hospital, Room 4", region="South"),
        starts_at=in_days(6, hour=13),
        title="Safe patient handling",
    )
    holder = PersonFactory(roles=["learner"], display_name="Hana Holder", email="hana@example.org")
    session_enrol(session=handling, person=holder, actor=holder)
    PersonFactory(roles=["learner"], display_name="Lee Learner", email="lee@example.org")

    page.set_viewport_size(DESKTOP)
    login(page, "lee@example.org")
    page.goto(live_server.url + reverse("delivery:sessions"))
    expect(page.get_by_role("link", name="Sepsis recognition")).to_be_visible()
    expect(page.get_by_text("3 places left")).to_be_visible()
    axe_check(page)
    screenshot(page, "sessions-finder")

    page.get_by_role("link", name="Sepsis recognition").click()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("You have a place.")).to_be_visible()
    expect(page.get_by_text("You are enrolled").first).to_be_visible()
    axe_check(page)
    screenshot(page, "session-enrolled")

    page.goto(live_server.url + reverse("delivery:session", args=[handling.pk]))
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_text("Number 1 on the waitlist", exact=True)).to_be_visible()
    screenshot(page, "session-waitlisted")

    # Hana gives up her place in her own browser.
    other = browser.new_context()
    hana = other.new_page()
    login(hana, "hana@example.org")
    hana.goto(live_server.url + reverse("delivery:session", args=[handling.pk]))
    hana.get_by_role("button", name="Cancel my place").click()
    expect(hana.get_by_text("Your place is cancelled.")).to_be_visible()
    other.close()

    page.reload()
    expect(page.get_by_text("You are enrolled").first).to_be_visible()
    page.goto(live_server.url + reverse("core:notifications"))
    assert page.get_by_text(
        "A place opened up: you are enrolled in Safe patient handling"
    ).is_visible()

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("delivery:sessions"))
    axe_check(page)
    screenshot(page, "sessions-finder-phone")
    page.goto(live_server.url + reverse("delivery:session", args=[sepsis.pk]))
    screenshot(page, "session-enrolled-phone")
    assert (
        Booking.objects.get(session=handling, person__email="lee@example.org").status == "enrolled"
    )


def test_trainer_takes_attendance_on_a_phone(
    page, live_server, program_manager, login, axe_check, screenshot
):
    start = in_days(2, hour=9)
    session = make_session(
        program_manager,
        course=make_course(title="De-escalating conflict"),
        capacity=8,
        starts_at=start,
        title="De-escalating conflict",
    )
    trainer = PersonFactory(roles=["trainer"], display_name="Tomas Trainer", email="t@example.org")
    staff_assign(session=session, person=trainer, role="lead", actor=program_manager)
    names = ["Amara Okafor", "Bruno Costa", "Chen Wei", "Dana Levi"]
    learners = [
        PersonFactory(
            roles=["learner"], display_name=n, email=f"{n.split()[0].lower()}@example.org"
        )
        for n in names
    ]
    for person in learners:
        session_enrol(session=session, person=person, actor=person)

    with time_machine.travel(start + timedelta(minutes=7), tick=True):
        page.set_viewport_size(PHONE)
        login(page, "t@example.org")
        page.goto(live_server.url + reverse("delivery:session", args=[session.pk]))
        page.get_by_role("link", name="Take attendance").click()
        rows = page.locator(".roster__row")
        assert rows.count() == 4
        axe_check(page)
        screenshot(page, "attendance-phone-before")

        for name, mark in zip(names, ["Present", "Late", "Absent", "Excused"], strict=True):
            row = rows.filter(has_text=name)
            row.get_by_text(mark, exact=True).click()
        page.get_by_role("button", name="Save attendance").click()
        expect(page.get_by_text("Attendance saved (4 changed).")).to_be_visible()
        assert page.get_by_role("radio", name="Late").nth(1).is_checked()
        screenshot(page, "attendance-phone-saved")

    marks = dict(
        Booking.objects.filter(session=session).values_list("person__display_name", "attendance")
    )
    assert marks == {
        "Amara Okafor": "present",
        "Bruno Costa": "late",
        "Chen Wei": "absent",
        "Dana Levi": "excused",
    }
