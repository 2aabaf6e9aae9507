"""`bench pages`, and the query budgets it watches: no page may query more as data grows."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cascade.bench.pages import (
    LIVE_BOOKING,
    Page,
    demo_people,
    generated_people,
    pages_for,
    session_to_show,
)
from cascade.delivery.models import Booking, Session, SessionStaff
from cascade.people.models import Person, Role

pytestmark = pytest.mark.django_db

KEYS = {"page", "role", "median_ms", "p95_ms", "queries", "baseline_median_ms"}


def test_bench_pages_prints_one_json_line_per_page_and_role() -> None:
    call_command("demo", stdout=StringIO())
    out = StringIO()

    call_command("bench", "pages", "--iterations", "2", "--warmup", "1", stdout=out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["page"], r["role"]) for r in lines] == [
        ("home", "program_manager"),
        ("home", "master_trainer"),
        ("home", "trainer"),
        ("home", "candidate"),
        ("home", "learner"),
        ("people_directory", "program_manager"),
        ("profile", "program_manager"),
        ("audit_log", "program_manager"),
        ("programs", "program_manager"),
        ("cohorts", "program_manager"),
        ("my_learning", "candidate"),
        ("review_queue", "master_trainer"),
        ("cohort_dashboard", "master_trainer"),
        ("my_path", "candidate"),
        ("sessions", "program_manager"),
        ("sessions", "learner"),
        ("my_sessions", "learner"),
        ("my_sessions", "trainer"),
        ("session", "program_manager"),
        ("teach_backs", "master_trainer"),
        ("teach_backs", "candidate"),
        ("certification_path", "trainer"),
        ("certifications", "program_manager"),
        ("credential", "trainer"),
    ]
    for row in lines:
        assert set(row) == KEYS
        assert isinstance(row["queries"], int)
        assert row["queries"] > 0
        assert 0 < row["median_ms"] <= row["p95_ms"]
        assert row["baseline_median_ms"] == lines[0]["baseline_median_ms"] > 0


def test_bench_pages_asks_for_the_demo_when_it_is_missing() -> None:
    with pytest.raises(CommandError, match=r"run `python -m cascade demo` first"):
        call_command("bench", "pages", "--iterations", "1", stdout=StringIO())


def test_bench_pages_on_the_large_org_asks_for_it_when_missing() -> None:
    call_command("demo", stdout=StringIO())

    with pytest.raises(CommandError, match=r"generate --scale large"):
        call_command("bench", "pages", "--org", "large", stdout=StringIO())


def test_bench_pages_on_a_generated_org_signs_in_its_own_people() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())
    out = StringIO()

    call_command(
        "bench", "pages", "--org", "small", "--iterations", "1", "--warmup", "0", stdout=out
    )

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    # No cohort coached by the generated master trainer, no certification to show publicly.
    assert len(lines) == 21
    assert lines[0]["page"] == "home"
    assert lines[0]["role"] == "program_manager"
    assert all(set(row) == KEYS for row in lines)


def test_the_session_page_measured_is_the_fullest_upcoming_one() -> None:
    # Given the demo, whose full session (twelve places, three waiting) a demo login leads
    call_command("demo", stdout=StringIO())

    pk = session_to_show("demo")
    pages = pages_for(demo_people(), "demo")

    session = Session.objects.get(pk=pk)
    assert session.title == "De-escalating Conflict: Northbridge General"
    assert (session.enrolled_count, session.capacity) == (12, 12)
    assert Page("session", "program_manager", f"/sessions/{pk}/") in pages


def test_generated_learner_and_trainer_are_the_busiest() -> None:
    call_command("generate", "--scale", "small", stdout=StringIO())
    now = timezone.now()

    people = generated_people("small")

    booked = Counter(
        Booking.objects.filter(
            status__in=LIVE_BOOKING,
            session__ends_at__gte=now,
            person__role_assignments__role=Role.LEARNER,
        ).values_list("person_id", flat=True)
    )
    teaching = Counter(
        SessionStaff.objects.filter(
            session__ends_at__gte=now, person__role_assignments__role=Role.TRAINER
        ).values_list("person_id", flat=True)
    )
    assert booked[people["learner"].pk] == max(booked.values()) > 1
    assert teaching[people["trainer"].pk] == max(teaching.values()) > 1
    assert people["candidate"].pk != people["trainer"].pk
    assert people["candidate"].has_role(Role.TRAINER)


def test_bench_leaves_no_sessions_behind() -> None:
    from django.contrib.sessions.models import Session

    call_command("demo", stdout=StringIO())

    call_command("bench", "pages", "--iterations", "1", "--warmup", "0", stdout=StringIO())

    assert Session.objects.count() == 0


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("path", ["/", "/people/", "/audit/", "/sessions/"])
def test_program_manager_pages_do_not_query_more_with_more_data(path: str) -> None:
    # Given the demo organisation and its program manager (whole organisation in scope)
    call_command("demo", stdout=StringIO())
    client = Client()
    client.force_login(Person.objects.get(email="manager@demo.example"))
    on_demo = _queries(client, path)

    # When 2,000 more people arrive
    call_command("generate", "--scale", "small", stdout=StringIO())

    # Then the page makes exactly as many queries as before
    assert _queries(client, path) == on_demo
    assert on_demo <= 13  # the home page: 12, and its upcoming sessions since delivery


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("learner@demo.example", "/sessions/"),
        ("learner@demo.example", "/sessions/mine/"),
        ("trainer@demo.example", "/sessions/mine/"),
    ],
)
def test_session_lists_do_not_query_more_with_more_sessions(email: str, path: str) -> None:
    # Given the demo's fourteen sessions
    call_command("demo", stdout=StringIO())
    client = Client()
    client.force_login(Person.objects.get(email=email))
    on_demo = _queries(client, path)

    # When 200 more sessions and 4,000 bookings arrive
    call_command("generate", "--scale", "small", stdout=StringIO())

    # Then the page makes exactly as many queries as before
    assert _queries(client, path) == on_demo
