"""What the benchmarks that go through a real server share: a scratch database, the subprocess
steps that migrate and seed it, and uvicorn on a free port.

A benchmark of concurrency means nothing inside a test transaction or a single process, so
``bench enrol`` and ``bench live`` run the application as it is deployed: uvicorn worker
processes against a database of the configured kind. They never touch the configured database
itself: each run gets a **scratch database**, a temporary SQLite file or, on PostgreSQL, a
database ``<name>_bench_<bench>`` on the same server (dropped afterwards, one run at a time per
name on this machine). It is migrated and seeded by subprocesses whose ``DATABASE_URL`` points at
it (``migrate``, then the benchmark's hidden ``--step``), which write their findings to a JSON
file the benchmark reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from psycopg import sql

from cascade.bench.pages import Writer

READY_TIMEOUT = 90.0  # seconds for every worker to load Django


@dataclass(frozen=True)
class Scratch:
    """A database for one run: ``url`` for the subprocesses' ``DATABASE_URL``, ``name`` is the
    ``NAME`` Django will see there (the hidden steps refuse any other database)."""

    url: str
    name: str
    vendor: str


def say(stderr: Writer | None, text: str) -> None:
    if stderr is not None:
        stderr.write(text + "\n")


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


def pg_url(db: dict[str, Any], name: str) -> str:
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
def _exclusive(lock: Path, bench: str, stderr: Writer | None) -> Iterator[None]:
    """One run at a time per scratch database on this machine (parallel test workers share the
    configured name), instead of one run dropping the other's database."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(stderr, f"Waiting for another `bench {bench}` ({lock}) ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def scratch_database(work: Path, stderr: Writer | None, *, bench: str) -> Iterator[Scratch]:
    """An empty database of the configured kind for ``bench <bench>``, removed afterwards."""
    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        path = work / f"bench-{bench}.sqlite3"
        say(stderr, f"Scratch database: {path} (deleted afterwards)")
        try:
            yield Scratch(url=f"sqlite:///{path}", name=str(path), vendor="sqlite")
        finally:
            for leftover in work.glob(f"bench-{bench}.sqlite3*"):
                leftover.unlink(missing_ok=True)
    elif "postgresql" in engine:
        suffix = f"_bench_{bench}"
        name = (str(db["NAME"])[: 63 - len(suffix)] + suffix).lower()
        with _exclusive(Path(tempfile.gettempdir()) / f"cascade-{name}.lock", bench, stderr):
            say(stderr, f"Scratch database: PostgreSQL {name} (dropped afterwards)")
            _pg_drop(db, name)  # a leftover of an interrupted run
            with _pg_admin(db) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                yield Scratch(url=pg_url(db, name), name=name, vendor="postgresql")
            finally:
                _pg_drop(db, name)
    else:
        raise CommandError(f"bench {bench} runs on SQLite or PostgreSQL, not {engine}.")


def refuse_outside_scratch(options: dict[str, Any], bench: str) -> None:
    """A hidden step runs in a subprocess whose ``DATABASE_URL`` is the scratch database; it
    refuses to write anywhere else."""
    configured = str(settings.DATABASES["default"]["NAME"])
    if not options["scratch"] or options["scratch"] != configured:
        raise CommandError(f"--step is for `bench {bench}` itself, in its scratch database.")


# --- Subprocesses: manage.py steps and the server -------------------------------------------


def scratch_env(scratch: Scratch, **extra: str) -> dict[str, str]:
    """The environment of every subprocess of a run: this one's, on the scratch database."""
    return {
        **os.environ,
        "DATABASE_URL": scratch.url,
        "DJANGO_SETTINGS_MODULE": "cascade.settings",
        # Under ASGI every request runs in its own thread with its own connection; persistent
        # connections then pile up past PostgreSQL's max_connections (Django's docs: disable
        # them under ASGI).
        "CONN_MAX_AGE": "0",
        **extra,
    }


def allow_open_files(needed: int) -> None:
    """Raise this process's open-file limit to ``needed`` (the server started after inherits it),
    or refuse when the hard limit is lower: a socket short fails the run halfway."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise CommandError(f"This needs {needed} open files; the limit is {hard} (ulimit -n).")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def manage(env: dict[str, str], *args: str) -> None:
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


def step(
    env: dict[str, str], work: Path, scratch: Scratch, bench: str, name: str, *args: str
) -> Any:
    """``bench <bench> --step <name>`` in the scratch database; what it wrote, read once (the
    file is deleted: a seed holds credentials)."""
    out = work / f"{name}.json"
    manage(env, "bench", bench, "--step", name, "--scratch", scratch.name, "--out", str(out), *args)
    data = json.loads(out.read_text())
    out.unlink()
    return data


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, log: Path, workers: int) -> None:
    """Until /healthz answers and every worker has loaded the application (uvicorn logs
    "Started server process" per worker once it has), so the measurement meets all of them."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"uvicorn stopped ({proc.returncode}):\n{log_tail(log)}")
        started = log_tail(log).count("Started server process") if workers > 1 else 1
        if started >= workers:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return
        time.sleep(0.2)
    raise CommandError(f"uvicorn was not ready after {READY_TIMEOUT:.0f} s:\n{log_tail(log)}")


@contextlib.contextmanager
def serving(
    env: dict[str, str],
    *,
    app: str,
    workers: int,
    log: Path,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """uvicorn serving ``app`` with ``workers`` processes on a free port; yields its base URL,
    stops it after."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
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
                *extra_args,
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
