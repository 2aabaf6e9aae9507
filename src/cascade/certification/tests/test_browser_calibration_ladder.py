"""Calibration and the ladder in a real browser: a master trainer scores a reference recording
blind and reads the agreement; a program manager asks for three co-deliveries on the default
ladder and sees the rule in words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cascade.certification.services import calibration as calibration_services
from cascade.certification.tests.factories import CODES, teach_back_rubric
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
KEY = dict(zip(CODES, [3, 3, 2, 3, 4, 2, 3, 3, 2, 3], strict=True))


def test_a_master_calibrates_on_a_phone(page, live_server, login, screenshot):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    exercise = calibration_services.calibration_exercise_save(
        exercise=None,
        rubric=teach_back_rubric(),
        title="Reference: the falls pathway",
        description="",
        recording_url="https://video.example.org/ref",
        recording=None,
        master_levels=KEY,
        actor=pm,
    )
    PersonFactory(roles=[Role.MASTER_TRAINER], email="mia@example.org")
    page.set_viewport_size(PHONE)
    login(page, "mia@example.org")
    page.goto(f"{live_server.url}/certification/calibration/{exercise.pk}/")
    for code, level in KEY.items():
        page.locator(f"#c-{code}").get_by_role("radio", name=re.compile(rf"^{level}\b")).check()
    page.get_by_role("button", name="Submit my levels").click()
    expect(page.get_by_text("Passed", exact=True).first).to_be_visible()
    expect(page.get_by_text("1.00 (almost perfect)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "calibration-result-phone")


def test_a_program_manager_edits_the_default_ladder(page, live_server, login, screenshot):
    teach_back_rubric()
    PersonFactory(roles=[Role.PROGRAM_MANAGER], email="pat@example.org")
    page.set_viewport_size(DESKTOP)
    login(page, "pat@example.org")
    page.goto(f"{live_server.url}/certification/ladder/")
    expect(page.get_by_text("2 sessions co-delivered")).to_be_visible()
    page.goto(f"{live_server.url}/certification/ladder/default/certified/")
    page.get_by_label("Sessions co-delivered").fill("3")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_text("3 sessions co-delivered")).to_be_visible()
    screenshot(page, "ladder-overview")
