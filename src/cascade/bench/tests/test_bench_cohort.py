"""The cohort benchmark: its data builder agrees with the pages, and it prints one JSON line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cascade.bench.cohort import build_cohort
from cascade.learning.selectors import cohort_grid

pytestmark = pytest.mark.django_db


def client_for(who: object) -> Client:
    client = Client()
    client.force_login(who)
    return client


def test_list_and_dashboard_agree_on_a_mixed_20_step_cohort():
    cohort, pm = build_cohort(40)
    grid = cohort_grid(cohort)

    rows = client_for(pm).get(reverse("learning:cohorts")).context["rows"]
    board = client_for(pm).get(reverse("learning:cohort", args=[cohort.pk])).context["board"]

    assert (len(grid.steps), len(grid.rows)) == (20, 40)
    assert 0 < len(grid.behind) < 40
    assert [(r.enrolled, r.behind) for r in rows] == [(40, len(grid.behind))]
    mean = sum(r.path.percent for r in grid.rows) / 40
    assert abs(rows[0].percent - mean) <= 1
    assert board.summary["behind"] == len(grid.behind)
    assert {c.css for r in board.rows for c in r.cells} >= {"done", "locked", "locked late"}


def test_bench_cohort_prints_one_json_line():
    out = StringIO()
    call_command(
        "bench",
        "cohort",
        "--size",
        "5",
        "--iterations",
        "2",
        "--warmup",
        "0",
        "--current-db",
        stdout=out,
        stderr=StringIO(),
    )

    result = json.loads(out.getvalue())
    assert set(result) == {
        "page",
        "people",
        "steps",
        "median_ms",
        "p95_ms",
        "queries",
        "baseline_median_ms",
    }
    assert (result["page"], result["people"], result["steps"]) == ("cohort_dashboard", 5, 20)
    assert 0 < result["median_ms"] <= result["p95_ms"]
    assert result["queries"] > 0
