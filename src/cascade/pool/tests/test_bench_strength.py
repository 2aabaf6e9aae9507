"""Bench strength: counts per course and region, the risk flag, expiries and booked hours, a
fixed number of queries, and who may see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cascade.certification.services import awards as award_services
from cascade.delivery.models import SessionStaff
from cascade.delivery.tests.factories import make_course, make_session
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory
from cascade.pool import bench_strength, services

pytestmark = pytest.mark.django_db


def _certify(pm, course, level="certified", region="North", months_ago=0):
    person = PersonFactory(roles=[Role.TRAINER])
    services.profile_save(person=person, actor=person, home_region=region)
    award_services.certification_award(
        person=person,
        course=course,
        level=level,
        actor=pm,
        reason="test",
        now=timezone.now() - timedelta(days=30 * months_ago),
    )
    return person


def test_counts_risk_expiry_and_load_per_course_and_region():
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    handling, sepsis = make_course(title="Handling"), make_course(title="Sepsis")
    a = _certify(pm, handling)
    _certify(pm, handling)
    _certify(pm, handling, months_ago=22)  # certified for 24 months: expires within 90 days
    _certify(pm, handling, level="co_facilitator")
    _certify(pm, sepsis, region="South")
    session = make_session(pm, course=handling, hours=3)
    SessionStaff.objects.create(session=session, person=a, role="lead")
    rows = {(r.course, r.region): r for r in bench_strength.bench_strength()}
    north = rows[("Handling", "North")]
    assert (len(north.leads), len(north.candidates), len(north.expiring)) == (3, 1, 1)
    assert north.load_hours == 3.0
    assert not north.at_risk
    south = rows[("Sepsis", "South")]
    assert south.at_risk
    assert south.risk_words == "Depends on 1 person."


def test_the_page_is_for_program_managers_and_masters_with_fixed_queries():
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    course = make_course(title="Handling")
    _certify(pm, course)
    client = Client()
    client.force_login(pm)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("pool:bench"))
        assert page.status_code == 200
        return len(queries.captured_queries)

    small = count()
    for i in range(6):
        _certify(pm, make_course(title=f"Course {i}"), region=f"R{i}")
    assert count() == small
    page = client.get(reverse("pool:bench"))
    assert b"Depends on 1 person." in page.content
    for role in (Role.TRAINER, Role.LEARNER, Role.MANAGER):
        other = Client()
        other.force_login(PersonFactory(roles=[role]))
        assert other.get(reverse("pool:bench")).status_code == 404
    master = Client()
    master.force_login(PersonFactory(roles=[Role.MASTER_TRAINER]))
    assert master.get(reverse("pool:bench")).status_code == 200
