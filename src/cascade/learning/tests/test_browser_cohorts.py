"""A program manager runs a cohort in a real browser: finds who is behind, nudges them, exports
the grid; and the dashboard stays readable on a phone."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cascade.core.models import Notification
from cascade.learning.models import Cohort, Enrolment, ProgressStatus, StepProgress
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import programs as program_services
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = ProgressStatus
# One candidate a line: their status on each of the seven steps (None: not started).
PROGRESS = {
    "Amara Okafor": [S.COMPLETED, S.COMPLETED, S.COMPLETED, S.SUBMITTED, None, None, None],
    "Bruno Costa": [S.COMPLETED, S.COMPLETED, None, S.IN_PROGRESS, None, None, None],
    "Chen Wei": [S.COMPLETED, None, None, None, None, None, None],
    "Dana Levi": [None, None, None, None, None, None, None],
    "Emeka Nwosu": [S.COMPLETED, S.COMPLETED, S.SUBMITTED, S.COMPLETED, S.SUBMITTED, None, None],
    "Fatima Zahra": [S.COMPLETED, S.COMPLETED, S.COMPLETED, S.FAILED, None, None, None],
    "Gustavo Lima": [S.IN_PROGRESS, None, None, None, None, None, None],
    "Hana Sato": [S.COMPLETED, S.COMPLETED, None, S.SUBMITTED, None, None, None],
}
BEHIND = ["Chen Wei", "Dana Levi", "Gustavo Lima"]


def running_cohort(pm: Any) -> Cohort:
    """A two-week-old cohort of eight candidates on a seven-step, two-module program."""
    unit = OrgUnitFactory(name="Coastal district", code="coastal")
    program = program_services.program_create(
        title="Facilitation essentials", slug="facilitation-essentials", actor=pm, org_unit=unit
    )
    version = program_services.draft_version(program)
    assert version is not None
    week1 = program_services.module_create(version=version, title="Week 1: Foundations")
    week2 = program_services.module_create(version=version, title="Week 2: Practice")
    specs: list[tuple[Any, str, str, int | None, dict[str, Any]]] = [
        (week1, "lesson", "How adults learn", 3, {}),
        (week1, "lesson", "Asking open questions", 7, {}),
        (week1, "reflection", "What surprised you this week?", None, {"min_words": 3}),
        (week2, "on_the_job", "Run a team huddle", 14, {"checklist": ["Plan", "Run"]}),
        (week2, "teach_back", "Teach-back: a ten-minute session", 21, {}),
        (week2, "mentoring", "Mentoring meeting", 28, {}),
        (week2, "lesson", "Planning your first course", None, {}),
    ]
    steps = [
        program_services.step_create(
            version=version,
            module=module,
            kind=kind,
            title=title,
            body="Read this." if kind == "lesson" else "",
            due_offset_days=due,
            required=kind != "reflection",
            config=config,
        )
        for module, kind, title, due, config in specs
    ]
    program_services.version_publish(version=version, actor=pm)
    master = PersonFactory(roles=["master_trainer"], display_name="Mariam Haddad", org_unit=unit)
    cohort = cohort_services.cohort_create(
        program=program,
        name="Coastal spring intake",
        start_date=timezone.localdate() - timedelta(days=10),
        actor=pm,
        master_trainers=[master],
    )
    for name, statuses in PROGRESS.items():
        email = name.split()[0].lower() + "@example.org"
        person = PersonFactory(roles=["trainer"], display_name=name, email=email, org_unit=unit)
        cohort_services.cohort_enrol(cohort=cohort, people=[person], actor=pm, notify=False)
        enrolment = Enrolment.objects.get(cohort=cohort, person=person)
        StepProgress.objects.bulk_create(
            StepProgress(enrolment=enrolment, step=step, status=status)
            for step, status in zip(steps, statuses, strict=True)
            if status is not None
        )
    return cohort


def test_program_manager_finds_who_is_behind_nudges_them_and_exports(
    page, live_server, program_manager, login, axe_check, screenshot
):
    cohort = running_cohort(program_manager)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, program_manager.email)

    page.goto(live_server.url + reverse("learning:cohorts"))
    row = page.get_by_role("row", name="Coastal spring intake")
    expect(row.get_by_role("link", name="3 behind")).to_be_visible()
    axe_check(page)
    screenshot(page, "cohorts-list")

    row.get_by_role("link", name="Coastal spring intake").click()
    expect(page.get_by_role("heading", name="Coastal spring intake")).to_be_visible()
    grid = page.get_by_role("table")
    assert grid.get_by_role("row").count() == 2 + len(PROGRESS)  # modules + steps + people
    expect(grid.get_by_role("columnheader", name="4. Run a team huddle")).to_be_visible()
    axe_check(page)
    screenshot(page, "cohort-dashboard")

    page.get_by_role("link", name="Behind (3)").click()
    page.wait_for_url("**/?show=behind")
    people = page.get_by_role("table").get_by_role("rowheader")
    page.wait_for_function("document.querySelectorAll('tbody tr').length === 3")
    assert [n.split("\n")[0].strip() for n in people.all_inner_texts()] == BEHIND
    expect(page.get_by_role("cell", name="Not started, overdue since").first).to_be_visible()
    axe_check(page)
    screenshot(page, "cohort-dashboard-behind")

    page.get_by_label("Message (optional)").fill("The first two lessons are overdue: 20 minutes.")
    page.get_by_role("button", name="Nudge everyone behind (3)").click()
    assert page.get_by_text("3 people nudged by email and in the app.").is_visible()
    assert page.url.endswith("?show=behind")
    assert (
        sorted(
            Notification.objects.filter(dedupe_key__startswith="nudge:").values_list(
                "recipient__display_name", flat=True
            )
        )
        == BEHIND
    )
    screenshot(page, "cohort-dashboard-nudged")

    page.get_by_role("button", name="Nudge everyone behind (3)").click()
    expect(
        page.get_by_text("Nothing new was sent: these 3 people were already nudged")
    ).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"cohort-{cohort.pk}-coastal-spring-intake.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:6] == [
        "Name",
        "Email",
        "Org unit",
        "Status",
        "Percent complete",
        "Overdue steps",
    ]
    assert [r[0] for r in rows[1:]] == sorted(PROGRESS)
    assert {r[0]: r[3] for r in rows[1:]}["Dana Levi"] == "Behind"


def test_program_manager_opens_a_cohort_and_enrols_people(
    page, live_server, program_manager, login, axe_check, screenshot
):
    cohort = running_cohort(program_manager)
    PersonFactory(roles=["trainer"], display_name="Ines Duarte", email="ines@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, program_manager.email)

    page.goto(live_server.url + reverse("learning:cohort_new"))
    axe_check(page)
    screenshot(page, "cohort-new")
    page.get_by_label("Program").select_option(label="Facilitation essentials")
    page.get_by_label("Name").fill("Coastal autumn intake")
    page.get_by_label("Starts on").fill("2027-03-01")
    page.get_by_label("Mariam Haddad").check()
    page.get_by_role("button", name="Open the cohort").click()
    expect(page.get_by_text("The cohort “Coastal autumn intake” is open.")).to_be_visible()

    page.goto(live_server.url + reverse("learning:cohort_enrol", args=[cohort.pk]))
    page.get_by_label("Emails").fill("ines@example.org\nnobody@example.org")
    page.get_by_role("button", name="Enrol these people").click()
    expect(page.get_by_text("Nobody active has these emails: nobody@example.org")).to_be_visible()
    axe_check(page)
    screenshot(page, "cohort-enrol-error")
    page.get_by_label("Emails").fill("ines@example.org, amara@example.org")
    page.get_by_role("button", name="Enrol these people").click()
    expect(page.get_by_text("1 person enrolled. 1 was already enrolled.")).to_be_visible()
    axe_check(page)
    screenshot(page, "cohort-enrol")


def test_dashboard_is_readable_on_a_phone(
    page, live_server, program_manager, login, axe_check, screenshot
):
    cohort = running_cohort(program_manager)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, program_manager.email)

    page.goto(live_server.url + reverse("learning:cohort", args=[cohort.pk]))

    expect(page.get_by_role("heading", name="Coastal spring intake")).to_be_visible()
    axe_check(page)
    screenshot(page, "cohort-dashboard-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = page.locator(".board-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the grid scrolls sideways
    first_name = page.get_by_role("rowheader").first
    x_before = first_name.bounding_box()["x"]
    wrap.evaluate("el => el.scrollBy(300, 0)")
    assert abs(first_name.bounding_box()["x"] - x_before) <= 1  # the names stay in view
    screenshot(page, "cohort-dashboard-phone-scrolled")
    page.goto(live_server.url + reverse("learning:cohorts"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe_check(page)
    screenshot(page, "cohorts-list-phone")
    page.goto(live_server.url + reverse("learning:cohort_enrol", args=[cohort.pk]))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe_check(page)
    screenshot(page, "cohort-enrol-phone")
