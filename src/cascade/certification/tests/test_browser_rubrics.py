"""Rubrics in a real browser: a program manager opens the teach-back rubric, starts a new
version, lowers the pass rule's mean to 2.75, rewrites an anchor and publishes; the rubric and
its framework read well on a desk and on a phone."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cascade.certification import defaults, services
from cascade.certification.models import Rubric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NEW_ANCHOR = "Follows each answer with a probe that asks the learner why."


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_program_manager_publishes_a_new_rubric_version(
    page, live_server, program_manager, login, axe_check, screenshot
):
    services.defaults_install(actor=program_manager)
    page.set_viewport_size(DESKTOP)
    login(page, "pm@example.org")

    # The list, then the rubric as a grid of criteria by level
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certification").click()
    page.get_by_role("navigation", name="Certification").get_by_role("link", name="Rubrics").click()
    expect(page.get_by_role("heading", name="Rubrics", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Virtual delivery add-on")).to_be_visible()
    axe_check(page)
    screenshot(page, "rubrics-list")

    page.get_by_role("link", name="Teach-back observation").first.click()
    expect(page.get_by_role("heading", name="Teach-back observation")).to_be_visible()
    assert page.get_by_text(
        "Every criterion at 2 or above, critical ones at 3 or above, and a mean of 3.00 or above."
    ).first.is_visible()
    assert page.locator("abbr[title='Questioning']").first.inner_text() == "C07"
    axe_check(page)
    screenshot(page, "rubric-teach-back")

    # A new version: a draft copied from version 1
    page.get_by_role("button", name="Start a new version").click()
    expect(page.get_by_role("heading", name="Draft version 2")).to_be_visible()
    assert page.get_by_text("People keep being assessed against the version they started with")
    axe_check(page)
    screenshot(page, "rubric-draft")

    page.get_by_label("Mean of all criteria at least").fill("2.75")
    page.get_by_role("button", name="Save the pass rule").click()
    expect(page.get_by_text("Pass rule saved.")).to_be_visible()

    r6 = Rubric.objects.get(slug=defaults.TEACH_BACK_SLUG, status="draft").criteria.get(code="R6")
    row = page.locator(f"#r-{r6.pk}")
    row.locator("summary").click()
    row.get_by_label("Level 4 looks like").fill(NEW_ANCHOR)
    axe_check(page)
    screenshot(page, "rubric-draft-criterion-open")
    row.get_by_role("button", name="Save R6").click()
    expect(page.get_by_text("R6 saved.")).to_be_visible()

    # On a phone, the draft's forms stack and fit the screen
    page.set_viewport_size(PHONE)
    assert _fits_the_screen(page)
    screenshot(page, "rubric-draft-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("Version 2 is published.")).to_be_visible()
    assert page.get_by_text("a mean of 2.75 or above").first.is_visible()
    expect(page.locator("#r-R6").get_by_text(NEW_ANCHOR)).to_be_visible()
    expect(page.get_by_role("link", name="Version 1")).to_be_visible()
    axe_check(page)
    screenshot(page, "rubric-v2")

    # On a phone the grid stacks per criterion, each level labelled
    page.set_viewport_size(PHONE)
    page.reload()
    cell = page.locator("#r-R6 td").nth(3)
    assert cell.evaluate("el => getComputedStyle(el).display") == "block"
    assert cell.evaluate("el => getComputedStyle(el, '::before').content") == '"Level 4"'
    assert _fits_the_screen(page)
    axe_check(page)
    screenshot(page, "rubric-v2-phone")

    published = Rubric.objects.get(slug=defaults.TEACH_BACK_SLUG, status="published")
    assert published.version == 2
    assert str(published.min_mean) == "2.75"


def test_trainer_reads_the_framework_on_desk_and_phone(
    page, live_server, program_manager, make_person, login, axe_check, screenshot
):
    services.defaults_install(actor=program_manager)
    make_person("trainer", email="tia@example.org", display_name="Tia Trainer")
    login(page, "tia@example.org")

    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(live_server.url + reverse("certification:frameworks"))
        expect(page.get_by_role("link", name="Trainer competencies")).to_be_visible()
        axe_check(page)
        screenshot(page, f"frameworks-list-{name}")
        page.get_by_role("link", name="Trainer competencies").click()
        expect(page.get_by_text("Foundational").first).to_be_visible()
        assert page.get_by_role("button", name="Start a new version").count() == 0
        assert _fits_the_screen(page)
        axe_check(page)
        screenshot(page, f"framework-{name}")


def test_program_manager_edits_a_framework_draft_on_a_phone(
    page, live_server, program_manager, login, axe_check, screenshot
):
    services.defaults_install(actor=program_manager)
    page.set_viewport_size(PHONE)
    login(page, "pm@example.org")
    page.goto(live_server.url + reverse("certification:framework", args=[defaults.FRAMEWORK_SLUG]))

    page.get_by_role("button", name="Start a new version").click()
    expect(page.get_by_role("heading", name="Draft version 2")).to_be_visible()
    add = page.locator("section", has=page.get_by_role("heading", name="Add a competency"))
    add.get_by_label("Code").fill("C01")
    add.get_by_label("Name").fill("Again")
    add.get_by_role("button", name="Add competency").click()

    expect(page.get_by_text("Another competency already has the code C01.")).to_be_visible()
    assert _fits_the_screen(page)
    axe_check(page)
    screenshot(page, "framework-draft-phone-error")
