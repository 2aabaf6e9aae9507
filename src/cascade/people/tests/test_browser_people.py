"""A program manager brings a person in, the person accepts, then is changed and deactivated."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from cascade.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _look(page, axe_check, screenshot, name: str, *, phone: bool = False) -> None:
    """Check accessibility and keep a screenshot (and a phone one when asked)."""
    axe_check(page)
    screenshot(page, name)
    if phone:
        page.set_viewport_size(PHONE)
        axe_check(page)
        screenshot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)


def test_program_manager_invites_a_person_who_signs_in_then_changes_and_deactivates_them(
    page, browser, live_server, make_person, login, axe_check, screenshot, settings
):
    # given a program manager and a colleague already in the directory
    settings.SITE_URL = live_server.url
    pm = make_person("program_manager", email="pm@example.org", display_name="Pat Manager")
    make_person("manager", email="morgan@example.org", display_name="Morgan Boss")
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    login(page, pm.email)
    assert page.url == f"{live_server.url}/"

    # when the program manager opens the directory
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Morgan Boss")).to_be_visible()
    _look(page, axe_check, screenshot, "people-directory", phone=True)

    # and adds a person with two roles, with an invitation
    page.get_by_role("link", name="Add a person").click()
    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    page.get_by_label("Display name").fill("Robin Invitee")
    page.get_by_role("textbox", name="Email", exact=True).fill("robin@example.org")
    page.get_by_label("Job title").fill("Midwife")
    page.get_by_label("Manager's email").fill("morgan@example.org")
    roles = page.get_by_role("group", name="Roles")
    roles.get_by_label("Trainer", exact=True).check()
    roles.get_by_label("Learner", exact=True).check()
    assert page.get_by_label("Email an invitation now").is_checked()
    _look(page, axe_check, screenshot, "people-add-person")
    page.get_by_role("button", name="Save").click()

    # then the profile says so, and one invitation email went out
    expect(page.get_by_role("heading", name="Robin Invitee")).to_be_visible()
    assert page.get_by_text("Robin Invitee is added and invited.").is_visible()
    expect(page.get_by_text("Invited", exact=False).first).to_be_visible()
    _look(page, axe_check, screenshot, "people-profile", phone=True)
    robin = Person.objects.get(email="robin@example.org")
    assert sorted(robin.roles) == ["learner", "trainer"]
    invitations = [m for m in mail.outbox if m.to == ["robin@example.org"]]
    assert len(invitations) == 1
    link = re.search(r"^(http\S+/account/set-password/\S+/)$", invitations[0].body, re.M)
    assert link is not None
    assert link.group(1).startswith(f"{live_server.url}/account/set-password/")

    # when the invited person opens the link in their own browser and chooses a password
    invitee = browser.new_context(viewport=DESKTOP).new_page()
    invitee.set_default_timeout(10_000)
    invitee.goto(link.group(1))
    expect(invitee.get_by_role("heading", name="Choose your password")).to_be_visible()
    _look(invitee, axe_check, screenshot, "people-set-password")
    invitee.get_by_label(re.compile(r"^New password\s*\*?$")).fill("a-fresh-pass-phrase")
    invitee.get_by_label("New password confirmation").fill("a-fresh-pass-phrase")
    invitee.get_by_role("button", name="Save password").click()
    expect(invitee.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()
    _look(invitee, axe_check, screenshot, "people-login-after-set-password")

    # then they sign in and see their home
    login(invitee, "robin@example.org", "a-fresh-pass-phrase")
    assert invitee.url == f"{live_server.url}/"
    expect(invitee.get_by_role("heading", name="Welcome, Robin")).to_be_visible()
    expect(invitee.get_by_role("heading", name="Your trainer development")).to_be_visible()
    expect(invitee.get_by_role("heading", name="Your learning")).to_be_visible()
    _look(invitee, axe_check, screenshot, "people-invitee-home")

    # and the link does not work a second time
    invitee.goto(link.group(1))
    expect(invitee.get_by_role("heading", name="This link no longer works")).to_be_visible()

    # when the program manager changes their roles
    page.reload()
    page.get_by_role("link", name="Roles", exact=True).click()
    expect(page.get_by_role("heading", name="Roles of Robin Invitee")).to_be_visible()
    group = page.get_by_role("group", name="Roles")
    assert group.get_by_label("Trainer", exact=True).is_checked()
    _look(page, axe_check, screenshot, "people-roles")
    group.get_by_label("Trainer", exact=True).uncheck()
    group.get_by_label("Master trainer").check()
    page.get_by_role("button", name="Save roles").click()

    # then the profile shows the new roles and the person is told
    expect(page.get_by_text("Roles of Robin Invitee are saved.")).to_be_visible()
    details = page.get_by_role("region", name="Details")
    expect(details.get_by_text("Master trainer")).to_be_visible()
    assert details.get_by_text("Trainer", exact=True).count() == 0
    assert sorted(Person.objects.get(pk=robin.pk).roles) == ["learner", "master_trainer"]
    invitee.goto(f"{live_server.url}/notifications/")
    expect(invitee.get_by_role("link", name="Your roles in Cascade changed")).to_be_visible()
    _look(invitee, axe_check, screenshot, "people-invitee-notifications")

    # when the program manager deactivates them (confirming the dialog)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()

    # then the profile says so, and the person's open session is over
    expect(page.get_by_text("Robin Invitee is deactivated.")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()
    _look(page, axe_check, screenshot, "people-profile-deactivated")
    assert Person.objects.get(pk=robin.pk).is_active is False
    invitee.reload()
    assert invitee.url.startswith(f"{live_server.url}/account/login/")
    invitee.context.close()


def test_directory_on_a_phone_reads_as_cards(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a program manager on a phone, with a few people
    pm = make_person("program_manager", email="pm-phone@example.org", display_name="Pat Manager")
    for i in range(3):
        make_person("learner", display_name=f"Learner Number {i}", job_title="Community nurse")
    page.set_viewport_size(PHONE)
    login(page, pm.email)
    # when they open the directory
    page.goto(f"{live_server.url}/people/")
    # then nothing overflows the screen sideways
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    expect(page.get_by_role("link", name="Learner Number 0")).to_be_visible()
    axe_check(page)
    screenshot(page, "people-directory-phone-cards")
