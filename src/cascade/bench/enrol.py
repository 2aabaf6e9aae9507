"""`bench enrol`: N learners race for C places on one session, through a real server.

Capacity under concurrency is designed (a locked session row, a conditional ``UPDATE`` of the
counter, a check constraint), and this benchmark is the proof that holds outside a test
transaction: separate server processes, separate database connections, every request at once.

It works in a **scratch database** of the configured kind, never the configured one: a temporary
SQLite file, or on PostgreSQL a database ``<name>_bench_enrol`` on the same server (dropped
afterwards). The database is migrated and seeded by subprocesses (``migrate``, then this command
with the hidden ``--step seed``): one open session of ``--capacity`` places and ``--concurrency``
learners, each with a personal access token. uvicorn then serves ``cascade.asgi:application``
with ``--workers`` processes (Django runs sync views one at a time per process, so several
processes are what makes the requests really concurrent). When every worker is up, all N
``POST /api/v1/sessions/{id}/enrolments`` go out at once from one ``httpx.AsyncClient``. The
server is stopped, the final places are counted (``--step tally``), and one JSON line is printed:
``{"enrolled", "waitlisted", "errors", "per_s", "database", "concurrency", "capacity"}``, where
``errors`` counts non-2xx answers and failed requests and ``per_s`` is requests per second over
the race. A place counter that disagrees with the bookings fails the command after the line.
The scratch database, the subprocess steps and the server are shared with ``bench live``
(:mod:`cascade.bench.server`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from argparse import ArgumentParser
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cascade.bench import server
from cascade.bench.pages import Writer
from cascade.bench.server import pg_url as _pg_url  # noqa: F401 - tests check it here
from cascade.delivery.models import Booking, Session
from cascade.delivery.services import courses as course_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.sessions import SessionDetails
from cascade.people import services as people_services
from cascade.people.models import AccessToken, Person, Role, RoleAssignment

HELP = (
    "Race N learners for C places on one session through a real uvicorn server with several "
    "worker processes, in a scratch database of the configured kind (SQLite or PostgreSQL); "
    "prints one JSON line (enrolled, waitlisted, errors, per_s, database, concurrency, capacity)."
)
BENCH = "enrol"
APP = "cascade.bench.enrol_asgi:application"
EMAIL_DOMAIN = "bench.example"
LEARNER_PREFIX = "bench-enrol-learner-"
REQUEST_TIMEOUT = 120.0
# Per worker: 4 workers x 8 stays well inside PostgreSQL's default 100 connections.
DEFAULT_MAX_IN_FLIGHT = 8
STEPS = ("race", "seed", "tally")


@dataclass(frozen=True)
class Result:
    enrolled: int
    waitlisted: int
    errors: int
    per_s: float
    database: str
    concurrency: int
    capacity: int


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency", type=int, default=200, help="learners, all enrolling at once (200)"
    )
    parser.add_argument("--capacity", type=int, default=20, help="places on the session (20)")
    parser.add_argument(
        "--workers", type=int, default=4, help="uvicorn worker processes serving the race (4)"
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=DEFAULT_MAX_IN_FLIGHT,
        help="requests inside Django at once per worker; the rest wait, as for a pooled "
        f"database connection ({DEFAULT_MAX_IN_FLIGHT}; 0: no limit, as plain `serve`)",
    )
    # The subprocess steps of a run; not for people.
    parser.add_argument("--step", choices=STEPS, default="race", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", default="", help=argparse.SUPPRESS)
    parser.add_argument("--session", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)


# --- Steps run inside the scratch database (subprocesses) -----------------------------------


@transaction.atomic
def seed(*, learners: int, capacity: int) -> dict[str, Any]:
    """One open session of ``capacity`` places a week ahead, and ``learners`` people with a
    write token each."""
    pm = Person.objects.create(
        email=f"bench-enrol-pm@{EMAIL_DOMAIN}", display_name="Benchmark program manager"
    )
    RoleAssignment.objects.create(person=pm, role=Role.PROGRAM_MANAGER)
    course = course_services.course_create(
        actor=pm,
        title="Benchmark: enrolment race",
        summary="Made by `python -m cascade bench enrol` in a scratch database.",
    )
    venue = course_services.venue_create(
        actor=pm, name="Benchmark room", region="Bench", capacity=capacity
    )
    start = (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    session = session_services.session_create(
        details=SessionDetails(
            title="Benchmark: enrolment race",
            capacity=capacity,
            slots=[(start, start + timedelta(hours=3))],
            venue=venue,
        ),
        actor=pm,
        course=course,
    )
    session_services.session_publish(session=session, actor=pm)
    people = []
    for n in range(learners):
        person = Person(
            email=f"{LEARNER_PREFIX}{n:05d}@{EMAIL_DOMAIN}", display_name=f"Learner {n}"
        )
        person.set_unusable_password()
        people.append(person)
    Person.objects.bulk_create(people)
    people = list(Person.objects.filter(email__startswith=LEARNER_PREFIX).order_by("email"))
    RoleAssignment.objects.bulk_create(RoleAssignment(person=p, role=Role.LEARNER) for p in people)
    keys = [
        people_services.token_create(person=p, name="bench enrol", scope=AccessToken.Scope.WRITE)[1]
        for p in people
    ]
    return {"session_id": session.pk, "keys": keys}


def tally(*, session_id: int) -> dict[str, int]:
    """The places as the database has them after the race, and the session's counter."""
    counts = dict(
        Booking.objects.filter(session_id=session_id)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    session = Session.objects.get(pk=session_id)
    return {
        "enrolled": counts.get(Booking.Status.ENROLLED, 0),
        "waitlisted": counts.get(Booking.Status.WAITLISTED, 0),
        "other": sum(counts.values())
        - counts.get(Booking.Status.ENROLLED, 0)
        - counts.get(Booking.Status.WAITLISTED, 0),
        "counter": session.enrolled_count,
        "capacity": session.capacity,
    }


def _run_step(options: dict[str, Any]) -> None:
    """A hidden step, run by the race in a subprocess on the scratch database."""
    server.refuse_outside_scratch(options, BENCH)
    if options["step"] == "seed":
        data: dict[str, Any] = seed(learners=options["concurrency"], capacity=options["capacity"])
    else:
        data = tally(session_id=options["session"])
    Path(options["out"]).write_text(json.dumps(data))


# --- The race -------------------------------------------------------------------------------


async def _warm_up(base_url: str, session_id: int, workers: int) -> None:
    """Load the URLconf and the API in every worker (unauthenticated: 401, nothing written)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for _ in range(2):
            await asyncio.gather(
                *(client.get(f"/api/v1/sessions/{session_id}") for _ in range(workers * 4))
            )


async def race(base_url: str, session_id: int, keys: list[str]) -> tuple[list[int | None], float]:
    """Every learner's enrolment at once; their statuses (None: the request failed) and the
    seconds from the start until the last answer."""
    path = f"/api/v1/sessions/{session_id}/enrolments"
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=len(keys))
    gate = asyncio.Event()
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT, limits=limits
    ) as client:

        async def enrol(key: str) -> int | None:
            await gate.wait()
            try:
                response = await client.post(path, headers={"Authorization": f"Bearer {key}"})
            except (httpx.HTTPError, OSError):
                return None
            return response.status_code

        tasks = [asyncio.create_task(enrol(key)) for key in keys]
        await asyncio.sleep(0)  # every task is now waiting at the gate
        started = time.perf_counter()
        gate.set()
        statuses = await asyncio.gather(*tasks)
        return list(statuses), time.perf_counter() - started


def measure(
    *, concurrency: int, capacity: int, workers: int, max_in_flight: int, stderr: Writer | None
) -> tuple[Result, dict[str, int]]:
    if concurrency < 1 or capacity < 1 or workers < 1 or max_in_flight < 0:
        raise CommandError(
            "--concurrency, --capacity and --workers must be at least 1, --max-in-flight 0 or more."
        )
    work = Path(tempfile.mkdtemp(prefix="cascade-bench-enrol-"))
    try:
        with server.scratch_database(work, stderr, bench=BENCH) as scratch:
            env = server.scratch_env(scratch, CASCADE_BENCH_MAX_IN_FLIGHT=str(max_in_flight))
            server.say(stderr, "Migrating the scratch database ...")
            server.manage(env, "migrate", "--noinput", "-v0")
            server.say(
                stderr, f"Seeding one session of {capacity} places and {concurrency} learners ..."
            )
            seeded = server.step(
                env,
                work,
                scratch,
                BENCH,
                "seed",
                "--concurrency",
                str(concurrency),
                "--capacity",
                str(capacity),
            )
            session_id, keys = int(seeded["session_id"]), list(seeded["keys"])
            log = work / "uvicorn.log"
            with server.serving(env, app=APP, workers=workers, log=log) as base_url:
                limit = max_in_flight or "any number of"
                server.say(
                    stderr,
                    f"uvicorn with {workers} workers at {base_url} ({limit} requests in Django "
                    "per worker); racing ...",
                )
                asyncio.run(_warm_up(base_url, session_id, workers))
                statuses, seconds = asyncio.run(race(base_url, session_id, keys))
            if any(s is None or not 200 <= s < 300 for s in statuses):
                server.say(stderr, f"The server's log ends:\n{server.log_tail(log)}")
            counts = server.step(env, work, scratch, BENCH, "tally", "--session", str(session_id))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    errors = sum(1 for s in statuses if s is None or not 200 <= s < 300)
    if errors:
        seen: dict[str, int] = {}
        for s in statuses:
            seen[str(s)] = seen.get(str(s), 0) + 1
        server.say(stderr, f"Statuses: {seen}")
    result = Result(
        enrolled=counts["enrolled"],
        waitlisted=counts["waitlisted"],
        errors=errors,
        per_s=round(len(keys) / seconds, 1) if seconds > 0 else 0.0,
        database=scratch.vendor,
        concurrency=concurrency,
        capacity=capacity,
    )
    return result, counts


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer | None = None) -> None:
    if options["step"] != "race":
        _run_step(options)
        return
    result, counts = measure(
        concurrency=options["concurrency"],
        capacity=options["capacity"],
        workers=options["workers"],
        max_in_flight=options["max_in_flight"],
        stderr=stderr,
    )
    stdout.write(json.dumps(asdict(result)) + "\n")
    if counts["counter"] != counts["enrolled"] or counts["enrolled"] > counts["capacity"]:
        raise CommandError(
            f"Overbooked or miscounted: {counts['enrolled']} enrolled bookings, counter "
            f"{counts['counter']}, capacity {counts['capacity']}."
        )
