"""A trainer keeps their availability on a phone: weekly hours, a week off, and the two-week
calendar showing both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_trainer_sets_weekly_hours_and_time_off_on_a_phone(page, live_server, login, screenshot):
    PersonFactory(roles=[Role.TRAINER], email="tia@example.org", time_zone="UTC")
    page.set_viewport_size(PHONE)
    login(page, "tia@example.org")
    page.goto(f"{live_server.url}/pool/availability/")
    expect(page.get_by_role("heading", name="My availability")).to_be_visible()
    for day in range(5):
        page.get_by_label(
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"][day] + " from"
        ).fill("09:00")
        page.locator(f"#id_to_{day}").fill("17:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_text("Weekly hours saved.")).to_be_visible()
    # Every weekday in the next two weeks has a green bar; weekends none.
    bars = page.locator("#availability-calendar rect.availability__on")
    expect(bars).to_have_count(10)
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("From", exact=True).fill(tomorrow.isoformat())
    page.get_by_label("Until (inclusive)").fill(tomorrow.isoformat())
    page.get_by_label("Reason (optional)").fill("Dentist")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_text("Time off saved.")).to_be_visible()
    expect(page.get_by_text("Dentist")).to_be_visible()
    expected = 9 if tomorrow.weekday() < 5 else 10
    expect(bars).to_have_count(expected)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "availability-phone")
