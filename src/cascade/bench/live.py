"""`bench live`: how long a learner's question takes to reach every screen in the live room.

The live room pushes each changed slice once per audience through the channel layer, after the
transaction commits (:mod:`cascade.live.realtime`). Whether that holds up with a full room is a
question about the deployed shape, so this benchmark asks it of a real server: uvicorn serving
``cascade.asgi:application`` on a scratch database (see :mod:`cascade.bench.server`), seeded by
the hidden ``--step seed`` with one running session, its trainer, ``--clients`` enrolled learners
and a signed-in Django session for each.

Every learner opens the room's WebSocket with their session cookie and the server's Origin, as a
browser would, and the run waits until each has its snapshot. Then ``--posts`` learners (one
question each: the rate limit counts per person) ask through the ordinary CSRF-protected
``POST /live/<pk>/ask/``, ``--interval-ms`` apart. Every question carries a marker unique to the
run; each screen notes when a "questions" slice first shows each marker. A latency is that moment
minus the moment just before the POST went out, so it spans the request, the commit, building
the slice, the channel layer and the socket, and the bench's own event loop reading 200 sockets.

In memory (the default) one worker process serves everyone. With Redis (``--redis URL``, or
``REDIS_URL`` in the environment) two worker processes share the socket, so the screens are
spread over both and every slice crosses processes through Redis, as in a deployment with several
workers; each run has a channel prefix of its own. One JSON line is printed:
``{"clients", "p50_ms", "p95_ms", "max_ms", "delivered", "expected", "posts", "processes",
"layer", "database"}``; the command fails after it when a screen missed a question within
``--timeout`` seconds of the last post.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import tempfile
import time
from argparse import ArgumentParser
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx
import redis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from cascade.bench import server
from cascade.bench.pages import Writer
from cascade.delivery.models import Session, StaffRole
from cascade.delivery.services import courses as course_services
from cascade.delivery.services import enrolment as enrolment_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.sessions import SessionDetails
from cascade.people.models import Person, Role, RoleAssignment

HELP = (
    "Connect N learners to a running session's live room over WebSockets on a real uvicorn "
    "server, post questions and time each one to every screen; prints one JSON line (clients, "
    "p50_ms, p95_ms, max_ms, delivered, expected, posts, processes, layer, database)."
)
BENCH = "live"
APP = "cascade.asgi:application"
EMAIL_DOMAIN = "bench.example"
LEARNER_PREFIX = "bench-live-learner-"
# The backend the email sign-in form authenticates with (axes' backend only counts failures).
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
CONNECT_TIMEOUT = 60.0  # for one screen's handshake and snapshot, with the whole room arriving
REQUEST_TIMEOUT = 30.0
OPENING_AT_ONCE = 100  # handshakes in flight; the rest wait their turn
STEPS = ("measure", "seed")


@dataclass(frozen=True)
class Result:
    clients: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    delivered: int
    expected: int
    posts: int
    processes: int
    layer: str
    database: str


@dataclass(frozen=True)
class Layer:
    """The channel layer the server runs with, and what its processes need to know of it."""

    name: str
    processes: int
    redis_url: str = ""
    prefix: str = ""


@dataclass
class Screen:
    """One learner's open room: when it first saw each question (``perf_counter``), and the
    close code if the server closed it during the run."""

    socket: ClientConnection
    seen: dict[int, float] = field(default_factory=dict)
    dropped: int | None = None


@dataclass(frozen=True)
class Asked:
    """One question's POST: just before it left, when the answer came, and the answer."""

    sent: float
    answered: float
    status: str


@dataclass(frozen=True)
class Exchange:
    """What one run saw: every screen, every question, and the end of the wait."""

    screens: list[Screen]
    asked: list[Asked]
    deadline: float

    def latencies(self) -> list[float]:
        """Seconds from each POST to each screen showing it, within the wait."""
        return [
            screen.seen[n] - question.sent
            for screen in self.screens
            for n, question in enumerate(self.asked)
            if screen.seen.get(n, math.inf) <= self.deadline
        ]

    def breakdown(self) -> str:
        """Where the time goes, for stderr: the request itself, then the fan-out from the first
        screen to the last."""
        answered = [q.answered - q.sent for q in self.asked]
        arrivals = [
            [s.seen[n] - q.sent for s in self.screens if s.seen.get(n, math.inf) <= self.deadline]
            for n, q in enumerate(self.asked)
        ]
        first = [min(times) for times in arrivals if times]
        last = [max(times) for times in arrivals if times]
        text = f"POST answered in p50 {_ms(_nearest_rank(answered, 0.5))} ms"
        if first:
            text += (
                f"; per question, first screen p50 {_ms(_nearest_rank(first, 0.5))} ms, "
                f"last screen p50 {_ms(_nearest_rank(last, 0.5))} ms"
            )
        dropped = [s.dropped for s in self.screens if s.dropped is not None]
        if dropped:
            text += f"; {len(dropped)} screen(s) closed by the server, codes {sorted(set(dropped))}"
        return text


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--clients", type=int, default=200, help="learners with the room open (200)"
    )
    parser.add_argument(
        "--posts", type=int, default=20, help="questions, each by a different learner (20)"
    )
    parser.add_argument(
        "--interval-ms", type=int, default=200, help="between one question and the next (200)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds after the last question for every screen to show it (10)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL", ""),
        metavar="URL",
        help="channel layer on this Redis, two server processes (default: $REDIS_URL; "
        "without it: in memory, one process)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="in-memory channel layer and one process even when REDIS_URL is set",
    )
    # The subprocess step of a run; not for people.
    parser.add_argument("--step", choices=STEPS, default="measure", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)


# --- The seed, inside the scratch database (a subprocess) -----------------------------------


def _signed_in(person: Person) -> str:
    """A Django session signed in as ``person``, as the sign-in form leaves it; its key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = SIGN_IN_BACKEND
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.save()
    key: str = store.session_key
    return key


@transaction.atomic
def seed(*, learners: int) -> dict[str, Any]:
    """A session that is running now (its room is open) with a trainer and ``learners`` enrolled
    learners, each signed in."""
    if SIGN_IN_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        raise CommandError(f"{SIGN_IN_BACKEND} is not in AUTHENTICATION_BACKENDS.")
    pm = Person.objects.create(
        email=f"bench-live-pm@{EMAIL_DOMAIN}", display_name="Benchmark program manager"
    )
    trainer = Person.objects.create(
        email=f"bench-live-trainer@{EMAIL_DOMAIN}", display_name="Benchmark trainer"
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(person=pm, role=Role.PROGRAM_MANAGER),
            RoleAssignment(person=trainer, role=Role.TRAINER),
        ]
    )
    course = course_services.course_create(
        actor=pm,
        title="Benchmark: live room",
        summary="Made by `python -m cascade bench live` in a scratch database.",
    )
    venue = course_services.venue_create(
        actor=pm, name="Benchmark room", region="Bench", capacity=learners
    )
    # Starting in ten minutes: learners can still enrol, and the room (open from half an hour
    # before the start) is already open.
    start = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    session = session_services.session_create(
        details=SessionDetails(
            title="Benchmark: live room",
            capacity=learners,
            slots=[(start, start + timedelta(hours=3))],
            venue=venue,
        ),
        actor=pm,
        course=course,
    )
    session_services.staff_assign(session=session, person=trainer, role=StaffRole.LEAD, actor=pm)
    session_services.session_publish(session=session, actor=pm)
    # The rate limit counts questions per room and person id in the cache, which is the shared
    # Redis with --redis; learners' ids start at a random offset, so runs that share one Redis
    # within a minute never count each other's questions.
    first_id = 1_000_000 + secrets.randbelow(1_000_000_000) * 1_000
    people = []
    for n in range(learners):
        person = Person(
            pk=first_id + n,
            email=f"{LEARNER_PREFIX}{n:05d}@{EMAIL_DOMAIN}",
            display_name=f"Learner {n}",
        )
        person.set_unusable_password()
        people.append(person)
    Person.objects.bulk_create(people)
    people = list(Person.objects.filter(email__startswith=LEARNER_PREFIX).order_by("email"))
    RoleAssignment.objects.bulk_create(RoleAssignment(person=p, role=Role.LEARNER) for p in people)
    placed = enrolment_services.session_enrol_many(session=session, people=people, actor=pm)
    session = Session.objects.get(pk=session.pk)
    if len(placed.enrolled) != learners or session.enrolled_count != learners:
        raise CommandError(
            f"Seeding enrolled {len(placed.enrolled)} of {learners} learners "
            f"(counter {session.enrolled_count}): {placed.refused[:3]}"
        )
    return {"session_id": session.pk, "keys": [_signed_in(p) for p in people]}


def _run_step(options: dict[str, Any]) -> None:
    server.refuse_outside_scratch(options, BENCH)
    data = seed(learners=options["clients"])
    Path(options["out"]).write_text(json.dumps(data))


# --- The server's channel layer and sockets ---------------------------------------------------


def _layer(options: dict[str, Any]) -> Layer:
    url = "" if options["memory"] else str(options["redis"] or "")
    if not url:
        return Layer(name="memory", processes=1)
    return Layer(
        name="redis",
        processes=2,
        redis_url=url,
        prefix=f"cascade-bench-live-{secrets.token_hex(6)}",
    )


def _server_env(scratch: server.Scratch, layer: Layer) -> dict[str, str]:
    env = server.scratch_env(
        scratch,
        # Clients come from 127.0.0.1, whatever this shell is configured for.
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        # The room page renders {% static %}; collectstatic need not have run.
        CASCADE_MANIFEST_STATIC="false",
    )
    env.pop("REDIS_URL", None)
    env.pop("CHANNELS_PREFIX", None)
    if layer.redis_url:
        env["REDIS_URL"] = layer.redis_url
        env["CHANNELS_PREFIX"] = layer.prefix
    return env


def _forget(layer: Layer, stderr: Writer | None) -> None:
    """Delete what the run's channel prefix left in Redis (groups last a day otherwise)."""
    if not layer.redis_url:
        return
    try:
        client = redis.Redis.from_url(layer.redis_url)
        with client:
            doomed = list(client.scan_iter(match=f"{layer.prefix}*", count=1000))
            if doomed:
                client.delete(*doomed)
    except redis.RedisError as exc:
        server.say(stderr, f"Could not clean up {layer.prefix}* in Redis: {exc}")


def _screens_per_process(layer: Layer) -> list[int]:
    """How many screens each server process holds, from the groups in Redis: channels_redis
    names a channel ``specific.<process's prefix>!<id>``."""
    counts: dict[str, int] = {}
    with redis.Redis.from_url(layer.redis_url) as client:
        for group in client.scan_iter(match=f"{layer.prefix}:group:*"):
            for member in client.zrange(group, 0, -1):
                process = member.decode().partition("!")[0]
                counts[process] = counts.get(process, 0) + 1
    return sorted(counts.values(), reverse=True)


# --- The screens and the questions ----------------------------------------------------------


async def _csrf_token(http: httpx.AsyncClient, room: str, key: str) -> str:
    """The CSRF cookie a learner's browser gets with the room page."""
    response = await http.get(room, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}"})
    token = response.cookies.get(settings.CSRF_COOKIE_NAME)
    http.cookies.clear()  # each request says whose it is
    if response.status_code != 200 or not token:
        raise CommandError(f"GET {room} answered {response.status_code} without a CSRF cookie.")
    return token


async def _open(base_url: str, session_id: int, key: str, gate: asyncio.Semaphore) -> Screen:
    """A learner's room, open and drawn: the handshake and the snapshot."""
    async with gate:
        socket = await connect(
            f"ws://{base_url.removeprefix('http://')}/ws/live/{session_id}/",
            origin=Origin(base_url),
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}"},
            open_timeout=CONNECT_TIMEOUT,
            proxy=None,
        )
        try:
            first = json.loads(await asyncio.wait_for(socket.recv(), CONNECT_TIMEOUT))
        except BaseException:
            await socket.close()
            raise
    if first.get("type") != "snapshot" or not first["data"]["room"]["open"]:
        await socket.close()
        raise CommandError(f"Expected the snapshot of an open room, got: {str(first)[:300]}")
    return Screen(socket=socket)


async def _listen(screen: Screen, markers: dict[str, int], on_seen: asyncio.Queue[None]) -> None:
    """Note the first "questions" slice that shows each marker; the time is taken as the
    message is handed over, before it is parsed."""
    try:
        async for message in screen.socket:
            now = time.perf_counter()
            data = json.loads(message)
            if data.get("type") != "slice" or data.get("slice") != "questions":
                continue
            for question in data["data"]:
                post = markers.get(question["text"])
                if post is not None and post not in screen.seen:
                    screen.seen[post] = now
                    on_seen.put_nowait(None)
    except ConnectionClosed:
        pass
    # Only the server ends this loop; the bench cancels it before closing the socket.
    screen.dropped = int(screen.socket.close_code or 1006)


async def _ask(http: httpx.AsyncClient, room: str, key: str, token: str, text: str) -> Asked:
    """One question, sent as the learner's page sends it (session and CSRF cookies, the token
    in a header, same-origin Origin and Referer)."""
    origin = str(http.base_url).rstrip("/")
    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={token}",
        "X-CSRFToken": token,
        "Origin": origin,
        "Referer": f"{origin}{room}",
    }
    sent = time.perf_counter()
    try:
        response = await http.post(
            f"{room}ask/", json={"text": text, "anonymous": False}, headers=headers
        )
        status = str(response.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return Asked(sent=sent, answered=time.perf_counter(), status=status)


async def _open_all(base_url: str, session_id: int, keys: list[str]) -> list[Screen]:
    """Every learner's room, open and drawn; none if any fails (closing those that opened)."""
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    opened = await asyncio.gather(
        *(_open(base_url, session_id, key, gate) for key in keys), return_exceptions=True
    )
    screens = [s for s in opened if isinstance(s, Screen)]
    failed = [s for s in opened if not isinstance(s, Screen)]
    if failed:
        await asyncio.gather(*(s.socket.close() for s in screens), return_exceptions=True)
        raise CommandError(
            f"{len(failed)} of {len(keys)} screens did not open; the first: {failed[0]!r}"
        )
    return screens


async def exchange(
    base_url: str,
    session_id: int,
    keys: list[str],
    *,
    posts: int,
    interval: float,
    timeout: float,
    layer: Layer,
    stderr: Writer | None,
) -> Exchange:
    """Open every screen, ask the questions ``interval`` seconds apart, and wait until every
    screen shows every question or ``timeout`` seconds have passed since the last one."""
    room = f"/live/{session_id}/"
    run = secrets.token_hex(4)
    texts = [f"Benchmark question {n + 1} of {posts} [{run}-{n}]" for n in range(posts)]
    markers = {text: n for n, text in enumerate(texts)}
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as http:
        tokens = [await _csrf_token(http, room, key) for key in keys[:posts]]
        screens = await _open_all(base_url, session_id, keys)
        seen: asyncio.Queue[None] = asyncio.Queue()
        listeners = [asyncio.create_task(_listen(s, markers, seen)) for s in screens]
        try:
            server.say(stderr, f"{len(screens)} screens open; asking {posts} questions ...")
            if layer.redis_url:
                spread = await asyncio.to_thread(_screens_per_process, layer)
                server.say(stderr, f"Screens per server process: {spread}")

            async def ask_later(n: int) -> Asked:
                await asyncio.sleep(n * interval)
                return await _ask(http, room, keys[n], tokens[n], texts[n])

            asked = await asyncio.gather(*(ask_later(n) for n in range(posts)))
            deadline = max(q.sent for q in asked) + timeout
            expected, delivered = len(screens) * posts, 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(_loop_time_of(deadline)):
                    while delivered < expected:
                        await seen.get()
                        delivered += 1
        finally:
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
            await asyncio.gather(*(s.socket.close() for s in screens), return_exceptions=True)
    return Exchange(screens=screens, asked=list(asked), deadline=deadline)


def _exceptions_in(log: Path) -> dict[str, int]:
    """How often each exception ended a traceback in the server's log (its tail shows one)."""
    found: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"[\w.]+(Error|Exception): ", line):
            found[line[:160]] = found.get(line[:160], 0) + 1
    return found


def _loop_time_of(moment: float) -> float:
    """A ``perf_counter`` moment on the event loop's clock (``asyncio.timeout_at`` takes that)."""
    return asyncio.get_running_loop().time() + (moment - time.perf_counter())


def _nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def measure(
    *,
    clients: int,
    posts: int,
    interval_ms: int,
    timeout: float,
    layer: Layer,
    stderr: Writer | None,
) -> Result:
    if clients < 1 or not 1 <= posts <= clients or interval_ms < 0 or timeout <= 0:
        raise CommandError(
            "--clients must be at least 1, --posts between 1 and --clients, --interval-ms 0 or "
            "more and --timeout more than 0."
        )
    server.allow_open_files(clients + 256)  # a socket per screen, here and in the server
    work = Path(tempfile.mkdtemp(prefix="cascade-bench-live-"))
    try:
        with server.scratch_database(work, stderr, bench=BENCH) as scratch:
            env = _server_env(scratch, layer)
            server.say(stderr, "Migrating the scratch database ...")
            server.manage(env, "migrate", "--noinput", "-v0")
            server.say(stderr, f"Seeding a running session with {clients} learners signed in ...")
            seeded = server.step(env, work, scratch, BENCH, "seed", "--clients", str(clients))
            session_id, keys = int(seeded["session_id"]), list(seeded["keys"])
            log = work / "uvicorn.log"
            with server.serving(env, app=APP, workers=layer.processes, log=log) as base_url:
                prefix = f" (prefix {layer.prefix})" if layer.prefix else ""
                server.say(
                    stderr,
                    f"uvicorn with {layer.processes} process(es) at {base_url}, channel layer "
                    f"{layer.name}{prefix}; opening screens ...",
                )
                try:
                    seen = asyncio.run(
                        exchange(
                            base_url,
                            session_id,
                            keys,
                            posts=posts,
                            interval=interval_ms / 1000,
                            timeout=timeout,
                            layer=layer,
                            stderr=stderr,
                        )
                    )
                except CommandError as exc:
                    tail = server.log_tail(log)
                    raise CommandError(f"{exc}\nThe server's log ends:\n{tail}") from exc
            latencies = seen.latencies()
            server.say(stderr, seen.breakdown())
            if any(q.status != "200" for q in seen.asked) or len(latencies) < clients * posts:
                server.say(stderr, f"Answers to the questions: {[q.status for q in seen.asked]}")
                server.say(stderr, f"The server's log ends:\n{server.log_tail(log)}")
                server.say(stderr, f"Exceptions in the server's log: {_exceptions_in(log)}")
    finally:
        _forget(layer, stderr)
        shutil.rmtree(work, ignore_errors=True)
    return Result(
        clients=clients,
        p50_ms=_ms(_nearest_rank(latencies, 0.5) if latencies else None),
        p95_ms=_ms(_nearest_rank(latencies, 0.95) if latencies else None),
        max_ms=_ms(max(latencies) if latencies else None),
        delivered=len(latencies),
        expected=clients * posts,
        posts=posts,
        processes=layer.processes,
        layer=layer.name,
        database=scratch.vendor,
    )


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer | None = None) -> None:
    if options["step"] != "measure":
        _run_step(options)
        return
    result = measure(
        clients=options["clients"],
        posts=options["posts"],
        interval_ms=options["interval_ms"],
        timeout=options["timeout"],
        layer=_layer(options),
        stderr=stderr,
    )
    stdout.write(json.dumps(asdict(result)) + "\n")
    if result.delivered < result.expected:
        raise CommandError(
            f"{result.expected - result.delivered} of {result.expected} deliveries missed the "
            f"{options['timeout']:g} s after the last question."
        )
