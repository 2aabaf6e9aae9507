"""A program manager uploads a CSV with mistakes, fixes it, imports it and finds the people."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cascade.people.models import Person
from cascade.people.tests.factories import OrgUnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
HEADER = "name,email,org_unit,manager_email,roles,region,languages"
BAD_FILE = f"""{HEADER}
Ann Example,ann@example.org,north,morgan@example.org,learner;trainer,North,"en, fr"
Bo Example,bo-at-example.org,north,,learner,,
Cy Example,cy@example.org,nowhere,di@example.org,Trainer,,
Di Example,di@example.org,north,,Master trainer,North,en
"""
GOOD_FILE = (
    BAD_FILE.replace("bo-at-example.org", "bo@example.org")
    .replace("nowhere", "north-ward")
    .encode()
)


def _look(page, axe_check, screenshot, name: str, *, phone: bool = False) -> None:
    """Check accessibility and keep a screenshot (and a phone one when asked)."""
    axe_check(page)
    screenshot(page, name)
    if phone:
        page.set_viewport_size(PHONE)
        axe_check(page)
        screenshot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)


def test_program_manager_previews_fixes_and_imports_a_file(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a program manager, a manager already in Cascade, and two org units
    north = OrgUnitFactory(name="North", code="north")
    OrgUnitFactory(name="North Ward 3", code="north-ward", parent=north)
    pm = make_person("program_manager", email="pm@example.org", display_name="Pat Manager")
    make_person("manager", email="morgan@example.org", display_name="Morgan Boss")
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    login(page, pm.email)

    # when they open the import page from the directory
    page.goto(f"{live_server.url}/people/")
    page.get_by_role("link", name="Import from CSV").click()
    expect(page.get_by_role("heading", name="Import people")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a template").click()
    assert download.value.suggested_filename == "people-import-template.csv"
    _look(page, axe_check, screenshot, "people-import", phone=True)

    # and preview a file with two mistakes
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": BAD_FILE.encode()}]
    )
    page.get_by_role("button", name="Preview").click()

    # then the preview names each bad row by line, and nothing was imported
    alert = page.get_by_role("alert")
    expect(alert.get_by_text("2 of 4 rows have problems; nothing was imported.")).to_be_visible()
    expect(alert.get_by_role("link", name="Line 3")).to_be_visible()
    expect(alert.get_by_role("link", name="Line 4")).to_be_visible()
    assert "“bo-at-example.org” is not a valid email address." in alert.inner_text()
    assert "no org unit has the code or name “nowhere”." in alert.inner_text()
    assert page.locator("tr.row--error").count() == 2
    assert page.locator("#line-3").get_attribute("class") == "row--error"
    assert page.get_by_role("button", name="Import", exact=False).count() == 0
    assert Person.objects.count() == 2
    _look(page, axe_check, screenshot, "people-import-errors", phone=True)

    # when they upload the corrected file
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people-fixed.csv", "mimeType": "text/csv", "buffer": GOOD_FILE}]
    )
    page.get_by_role("button", name="Preview").click()

    # then every row is ready, and still nothing is saved
    expect(page.get_by_text("All 4 rows are ready.")).to_be_visible()
    assert page.locator("tr.row--error").count() == 0
    assert Person.objects.count() == 2
    _look(page, axe_check, screenshot, "people-import-ready", phone=True)

    # when they import
    page.get_by_role("button", name="Import 4 people").click()

    # then the page says how many, and the directory lists them
    expect(page.get_by_text("Import finished.")).to_be_visible()
    expect(page.get_by_text("4 created, 0 updated, 0 unchanged.")).to_be_visible()
    _look(page, axe_check, screenshot, "people-import-done")
    page.get_by_role("link", name="See them in the directory").click()
    for name in ("Ann Example", "Bo Example", "Cy Example", "Di Example"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    cy = Person.objects.get(email="cy@example.org")
    assert (cy.org_unit.code, cy.manager.email) == ("north-ward", "di@example.org")
