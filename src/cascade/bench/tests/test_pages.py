"""`bench pages`, and the query budgets it watches: no page may query more as data grows."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cascade.people.models import Person

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
    assert len(lines) == 12  # no cohort coached by the generated master trainer
    assert lines[0]["page"] == "home"
    assert lines[0]["role"] == "program_manager"
    assert all(set(row) == KEYS for row in lines)


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


@pytest.mark.parametrize("path", ["/", "/people/", "/audit/"])
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
    assert on_demo <= 12
