"""The availability page: trainers keep their own; nobody else reaches it; bad input is
refused with a message and changes nothing."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory
from cascade.pool.models import AvailabilityException, TrainerProfile, WeeklyHours
from cascade.pool.tests.test_availability import ICS

pytestmark = pytest.mark.django_db


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MANAGER, Role.PROGRAM_MANAGER])
def test_only_trainers_reach_the_availability_pages(role):
    client = _client(PersonFactory(roles=[role]))
    assert client.get(reverse("pool:my_availability")).status_code == 404
    assert (
        client.post(reverse("pool:weekly_save"), {"from_0": "09:00", "to_0": "17:00"}).status_code
        == 404
    )
    assert not WeeklyHours.objects.exists()


def test_a_trainer_sets_weekly_hours_time_off_and_profile():
    trainer = PersonFactory(roles=[Role.TRAINER], time_zone="Europe/Paris")
    client = _client(trainer)
    page = client.get(reverse("pool:my_availability"))
    assert page.status_code == 200
    assert page.content.count(b"availability__day") == 14
    client.post(
        reverse("pool:weekly_save"),
        {"from_0": "09:00", "to_0": "17:00", "from_2": "13:00", "to_2": "18:00"},
    )
    assert sorted(
        WeeklyHours.objects.filter(person=trainer).values_list("weekday", "starts", "ends")
    ) == [
        (0, time(9), time(17)),
        (2, time(13), time(18)),
    ]
    client.post(
        reverse("pool:time_off_add"),
        {"starts_on": "2027-03-01", "ends_on": "2027-03-05", "reason": "Leave"},
    )
    off = AvailabilityException.objects.get(person=trainer)
    assert (off.starts_at.isoformat(), off.ends_at.isoformat()) == (
        "2027-02-28T23:00:00+00:00",  # midnight in Paris
        "2027-03-05T23:00:00+00:00",
    )
    client.post(
        reverse("pool:profile_save"),
        {"languages": "en, FR", "modalities": ["virtual"], "home_region": "North"},
    )
    profile = TrainerProfile.objects.get(person=trainer)
    assert (profile.languages, profile.modalities, profile.home_region) == (
        ["en", "fr"],
        ["virtual"],
        "North",
    )
    page = client.get(reverse("pool:my_availability"))
    assert b"Leave" in page.content


def test_bad_input_is_refused_with_a_message_and_changes_nothing():
    trainer = PersonFactory(roles=[Role.TRAINER])
    client = _client(trainer)
    response = client.post(
        reverse("pool:weekly_save"), {"from_0": "17:00", "to_0": "09:00"}, follow=True
    )
    assert b"The end must be after the start." in response.content
    response = client.post(reverse("pool:weekly_save"), {"from_1": "09:00"}, follow=True)
    assert b"Give both times, or neither." in response.content
    response = client.post(reverse("pool:profile_save"), {"languages": "english!"}, follow=True)
    assert "Use two- or three-letter language codes" in response.content.decode()
    bad = SimpleUploadedFile("cal.ics", b"<html>", content_type="text/calendar")
    response = client.post(reverse("pool:calendar_import"), {"calendar": bad}, follow=True)
    assert b"not an iCalendar" in response.content
    assert not WeeklyHours.objects.exists()
    assert not TrainerProfile.objects.exists()


@time_machine.travel("2026-12-01 09:00Z", tick=False)
def test_a_calendar_file_imports_busy_times_and_others_time_off_cannot_be_removed():
    trainer = PersonFactory(roles=[Role.TRAINER])
    other = PersonFactory(roles=[Role.TRAINER])
    upload = SimpleUploadedFile("cal.ics", ICS, content_type="text/calendar")
    response = _client(trainer).post(
        reverse("pool:calendar_import"), {"calendar": upload}, follow=True
    )
    assert response.status_code == 200
    mine = AvailabilityException.objects.filter(person=trainer).first()
    if mine is not None:  # the sample's events may already be past on a far-future clock
        assert (
            _client(other).post(reverse("pool:time_off_remove", args=[mine.pk])).status_code == 404
        )
        assert AvailabilityException.objects.filter(pk=mine.pk).exists()
