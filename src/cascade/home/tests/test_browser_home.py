"""Each role signs in through the real form and sees its own home page (desktop and phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_HEADINGS = {
    "program_manager": "Program management",
    "master_trainer": "Coaching and observation",
    "trainer": "Your trainer development",
    "learner": "Your learning",
    "manager": "Your team",
}


@pytest.mark.parametrize("role", list(ROLE_HEADINGS))
def test_each_role_signs_in_and_sees_its_home(
    page, live_server, make_person, login, axe_check, screenshot, role
):
    person = make_person(role, email=f"{role}@example.org", display_name="Robin Example")
    login(page, person.email)
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", name="Welcome, Robin")).to_be_visible()
    expect(page.get_by_role("heading", name=ROLE_HEADINGS[role])).to_be_visible()
    for other, heading in ROLE_HEADINGS.items():
        if other != role:
            assert page.get_by_role("heading", name=heading).count() == 0
    axe_check(page)
    screenshot(page, f"home-{role}")


def test_home_on_a_phone_has_a_menu(page, live_server, make_person, login, axe_check, screenshot):
    person = make_person("program_manager", email="pm-phone@example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, person.email)
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="People")).to_be_visible()
    axe_check(page)
    screenshot(page, "home-program_manager-phone")


def test_wrong_password_shows_a_form_error(page, live_server, make_person, login):
    person = make_person("learner", email="wrong@example.org")
    login(page, person.email, "not-the-password")
    assert page.url.startswith(f"{live_server.url}/account/login/")
    expect(page.get_by_role("alert")).to_be_visible()
