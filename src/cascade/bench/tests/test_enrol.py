"""The enrolment race, for real: a uvicorn server with several workers, every learner at once,
in a scratch database of the kind the suite runs on (SQLite here, PostgreSQL in CI).

No place is given twice and nobody is lost: exactly ``capacity`` enrolled, everyone else on the
waitlist, every request answered 2xx. The command fails by itself when the session's place
counter disagrees with the bookings.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import environ
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from cascade.bench.enrol import _pg_url


def race(*args: str) -> dict[str, Any]:
    out, err = StringIO(), StringIO()
    call_command("bench", "enrol", *args, stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, (out.getvalue(), err.getvalue())
    result: dict[str, Any] = json.loads(lines[0])
    return result


def configured_database() -> str:
    return "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"


def test_two_hundred_learners_race_for_twenty_places():
    result = race("--concurrency", "200", "--capacity", "20")

    assert result["per_s"] > 0
    assert {k: v for k, v in result.items() if k != "per_s"} == {
        "enrolled": 20,
        "waitlisted": 180,
        "errors": 0,
        "database": configured_database(),
        "concurrency": 200,
        "capacity": 20,
    }


def test_ten_learners_race_for_three_places_on_two_workers():
    result = race("--concurrency", "10", "--capacity", "3", "--workers", "2")

    assert (result["enrolled"], result["waitlisted"], result["errors"]) == (3, 7, 0)
    assert (result["concurrency"], result["capacity"]) == (10, 3)


@pytest.mark.parametrize(
    "args",
    [
        ("--concurrency", "0"),
        ("--capacity", "0"),
        ("--workers", "0"),
        ("--max-in-flight", "-1"),
    ],
)
def test_nonsense_options_are_refused_before_anything_starts(args):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench", "enrol", *args, stdout=StringIO(), stderr=StringIO())


def test_hidden_steps_refuse_any_database_but_their_scratch():
    with pytest.raises(CommandError, match="scratch database"):
        call_command(
            "bench",
            "enrol",
            "--step",
            "seed",
            "--scratch",
            "/somewhere/else.sqlite3",
            stdout=StringIO(),
            stderr=StringIO(),
        )


@pytest.mark.parametrize(
    ("db", "url"),
    [
        (
            {"USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432, "NAME": "x"},
            "postgres://postgres@127.0.0.1:5432/x_bench_enrol",
        ),
        (
            {
                "USER": "me",
                "PASSWORD": "p@ss/word",
                "HOST": "db",
                "OPTIONS": {"sslmode": "require"},
            },
            "postgres://me:p%40ss%2Fword@db/x_bench_enrol?sslmode=require",
        ),
        (
            {"USER": "ci", "HOST": "/var/run/postgresql"},
            "postgres://ci@/x_bench_enrol?host=%2Fvar%2Frun%2Fpostgresql",
        ),
    ],
)
def test_scratch_url_reaches_the_same_postgresql_server(db, url):
    built = _pg_url(db, "x_bench_enrol")

    assert built == url
    parsed = environ.Env.db_url_config(built)
    expected = {
        "NAME": "x_bench_enrol",
        "USER": db.get("USER", ""),
        "PASSWORD": db.get("PASSWORD", ""),
    }
    assert {k: parsed[k] for k in expected} == expected
    assert (parsed["HOST"] or parsed["OPTIONS"]["host"]) == db["HOST"]
