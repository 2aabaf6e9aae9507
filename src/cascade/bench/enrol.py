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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from psycopg import sql

from cascade.bench.pages import Writer
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
SCRATCH_SUFFIX = "_bench_enrol"
EMAIL_DOMAIN = "bench.example"
LEARNER_PREFIX = "bench-enrol-learner-"
READY_TIMEOUT = 90.0  # seconds for every worker to load Django
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


@dataclass(frozen=True)
class Scratch:
    """A database for one run: ``url`` for the subprocesses' ``DATABASE_URL``, ``name`` is the
    ``NAME`` Django will see there (the hidden steps refuse any other database)."""

    url: str
    name: str
    vendor: str


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
    """A hidden step, run by the race in a subprocess whose ``DATABASE_URL`` is the scratch
    database; it refuses to write anywhere else."""
    configured = str(settings.DATABASES["default"]["NAME"])
    if not options["scratch"] or options["scratch"] != configured:
        raise CommandError("--step is for `bench enrol` itself, in its scratch database.")
    if options["step"] == "seed":
        data: dict[str, Any] = seed(learners=options["concurrency"], capacity=options["capacity"])
    else:
        data = tally(session_id=options["session"])
    Path(options["out"]).write_text(json.dumps(data))


# --- The scratch database -------------------------------------------------------------------


def _pg_connect_args(db: dict[str, Any]) -> dict[str, Any]:
    args = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    return {k: v for k, v in args.items() if v is not None}


@contextlib.contextmanager
def _pg_admin(db: dict[str, Any]) -> Iterator[psycopg.Connection[Any]]:
    """A connection for CREATE/DROP DATABASE: the ``postgres`` maintenance database, else the
    configured one."""
    try:
        conn = psycopg.connect(dbname="postgres", autocommit=True, **_pg_connect_args(db))
    except psycopg.OperationalError:
        conn = psycopg.connect(dbname=db["NAME"], autocommit=True, **_pg_connect_args(db))
    with conn:
        yield conn


def _pg_drop(db: dict[str, Any], name: str) -> None:
    with _pg_admin(db) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _pg_url(db: dict[str, Any], name: str) -> str:
    """``DATABASE_URL`` for database ``name`` on the server (and as the user) of ``db``."""
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    host = str(db.get("HOST") or "")
    port = str(db.get("PORT") or "")
    options = {k: v for k, v in (db.get("OPTIONS") or {}).items() if isinstance(v, str | int)}
    if host.startswith("/"):  # a socket directory goes in the query (libpq's ``host``)
        options["host"], host = host, ""
    login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    url = f"postgres://{login}{host}{':' + port if port else ''}/{quote(name, safe='')}"
    return f"{url}?{urlencode(options)}" if options else url


@contextlib.contextmanager
def _exclusive(lock: Path, stderr: Writer | None) -> Iterator[None]:
    """One run at a time per scratch database on this machine (parallel test workers share the
    configured name), instead of one run dropping the other's database."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(stderr, f"Waiting for another `bench enrol` ({lock}) ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def scratch_database(work: Path, stderr: Writer | None) -> Iterator[Scratch]:
    """An empty database of the configured kind, removed afterwards."""
    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        path = work / "bench-enrol.sqlite3"
        _say(stderr, f"Scratch database: {path} (deleted afterwards)")
        try:
            yield Scratch(url=f"sqlite:///{path}", name=str(path), vendor="sqlite")
        finally:
            for leftover in work.glob("bench-enrol.sqlite3*"):
                leftover.unlink(missing_ok=True)
    elif "postgresql" in engine:
        name = (str(db["NAME"])[: 63 - len(SCRATCH_SUFFIX)] + SCRATCH_SUFFIX).lower()
        with _exclusive(Path(tempfile.gettempdir()) / f"cascade-{name}.lock", stderr):
            _say(stderr, f"Scratch database: PostgreSQL {name} (dropped afterwards)")
            _pg_drop(db, name)  # a leftover of an interrupted run
            with _pg_admin(db) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                yield Scratch(url=_pg_url(db, name), name=name, vendor="postgresql")
            finally:
                _pg_drop(db, name)
    else:
        raise CommandError(f"bench enrol runs on SQLite or PostgreSQL, not {engine}.")


# --- Subprocesses: manage.py steps and the server -------------------------------------------


def _say(stderr: Writer | None, text: str) -> None:
    if stderr is not None:
        stderr.write(text + "\n")


def _env(scratch: Scratch, *, max_in_flight: int = 0) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": scratch.url,
        "DJANGO_SETTINGS_MODULE": "cascade.settings",
        # Under ASGI every request runs in its own thread with its own connection; persistent
        # connections then pile up past PostgreSQL's max_connections (Django's docs: disable
        # them under ASGI).
        "CONN_MAX_AGE": "0",
        "CASCADE_BENCH_MAX_IN_FLIGHT": str(max_in_flight),
    }


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cascade", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(
            f"`{' '.join(args[:3])}` failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )


def _step(env: dict[str, str], work: Path, scratch: Scratch, step: str, *args: str) -> Any:
    out = work / f"{step}.json"
    _manage(
        env,
        "bench",
        "enrol",
        "--step",
        step,
        "--scratch",
        scratch.name,
        "--out",
        str(out),
        *args,
    )
    data = json.loads(out.read_text())
    out.unlink()  # the seed holds tokens
    return data


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, log: Path, workers: int) -> None:
    """Until /healthz answers and every worker has loaded the application (uvicorn logs
    "Started server process" per worker once it has), so the race meets all of them."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"uvicorn stopped ({proc.returncode}):\n{_log_tail(log)}")
        started = _log_tail(log).count("Started server process") if workers > 1 else 1
        if started >= workers:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return
        time.sleep(0.2)
    raise CommandError(f"uvicorn was not ready after {READY_TIMEOUT:.0f} s:\n{_log_tail(log)}")


@contextlib.contextmanager
def serving(env: dict[str, str], *, workers: int, log: Path) -> Iterator[str]:
    """uvicorn with ``workers`` processes on a free port; yields its base URL, stops it after."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "cascade.bench.enrol_asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--lifespan",
                "off",
                "--log-level",
                "info",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
        try:
            _wait_ready(proc, base_url, log, workers)
            yield base_url
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group we started, by its id
            proc.wait(timeout=10)


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
        with scratch_database(work, stderr) as scratch:
            env = _env(scratch, max_in_flight=max_in_flight)
            _say(stderr, "Migrating the scratch database ...")
            _manage(env, "migrate", "--noinput", "-v0")
            _say(stderr, f"Seeding one session of {capacity} places and {concurrency} learners ...")
            seeded = _step(
                env,
                work,
                scratch,
                "seed",
                "--concurrency",
                str(concurrency),
                "--capacity",
                str(capacity),
            )
            session_id, keys = int(seeded["session_id"]), list(seeded["keys"])
            log = work / "uvicorn.log"
            with serving(env, workers=workers, log=log) as base_url:
                limit = max_in_flight or "any number of"
                _say(
                    stderr,
                    f"uvicorn with {workers} workers at {base_url} ({limit} requests in Django "
                    "per worker); racing ...",
                )
                asyncio.run(_warm_up(base_url, session_id, workers))
                statuses, seconds = asyncio.run(race(base_url, session_id, keys))
            if any(s is None or not 200 <= s < 300 for s in statuses):
                _say(stderr, f"The server's log ends:\n{_log_tail(log)}")
            counts = _step(env, work, scratch, "tally", "--session", str(session_id))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    errors = sum(1 for s in statuses if s is None or not 200 <= s < 300)
    if errors:
        seen: dict[str, int] = {}
        for s in statuses:
            seen[str(s)] = seen.get(str(s), 0) + 1
        _say(stderr, f"Statuses: {seen}")
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
