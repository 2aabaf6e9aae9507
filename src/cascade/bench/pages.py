"""`bench pages`: server time and query count of each page, per role, measured in-process.

Requests go through Django's test ``Client`` (the whole middleware stack, templates included, but
no network or server process), signed in with ``force_login``. Each page is timed over N
iterations after a warm-up; its queries are counted on one extra request so that capturing them
does not slow the timed ones. The baseline is ``/healthz`` (one ``SELECT 1``) requested by the
same signed-in client: the fixed cost of Django, the middleware and loading the session and user,
so ``median_ms / baseline_median_ms`` is what the page itself adds.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import time
import warnings
from argparse import ArgumentParser
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from cascade.certification.selectors import awards as certification_selectors
from cascade.delivery.models import Booking, Session, SessionStaff
from cascade.learning.models import Cohort, Enrolment
from cascade.people.models import Person, Role, RoleAssignment

HELP = "Time pages per role (median and p95 in ms, query count) as JSON lines."
BASELINE_PATH = "/healthz"
# The import-linter contract keeps bench and demo independent siblings, so the demo's logins and
# the generator's email domains are repeated here; bench/tests run `demo` to check they agree.
DEMO_EMAILS: dict[str, str] = {
    "program_manager": "manager@demo.example",
    "master_trainer": "master@demo.example",
    "trainer": "trainer@demo.example",
    "candidate": "candidate@demo.example",
    "learner": "learner@demo.example",
}
GENERATED_ORGS = ("large", "small")  # `generate --scale X` writes p000123@X.example
LIVE_BOOKING = (Booking.Status.ENROLLED, Booking.Status.WAITLISTED, Booking.Status.PENDING)
ROLES = tuple(DEMO_EMAILS)


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: str


@dataclass(frozen=True)
class Result:
    page: str
    role: str
    median_ms: float
    p95_ms: float
    queries: int
    baseline_median_ms: float


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--org",
        choices=("demo", *GENERATED_ORGS),
        default="demo",
        help="sign in as the demo logins, or as sample people of `generate --scale large` "
        "(small: the test-sized org)",
    )


# --- Who signs in ---------------------------------------------------------------------------


def demo_people() -> dict[str, Person]:
    """The five demo logins by role key; a clear error when the demo is not loaded."""
    found = {p.email: p for p in Person.objects.filter(email__in=DEMO_EMAILS.values())}
    if len(found) != len(DEMO_EMAILS):
        raise CommandError("The demo organisation is missing: run `python -m cascade demo` first.")
    return {key: found[email] for key, email in DEMO_EMAILS.items()}


def generated_people(org: str) -> dict[str, Person]:
    """One sample person per role from an organisation made by `generate --scale <org>`.

    The program manager is one with the whole organisation in scope, so her pages count
    everyone; the candidate is simply a second trainer (candidacy has no data of its own yet).
    Where the organisation has a training calendar, the learner is the one with the most
    sessions ahead and the trainer the one teaching the most (their own session lists are the
    costlier kind); otherwise they are the first of their role.
    """

    def holders(role: str, **extra: Any) -> QuerySet[RoleAssignment]:
        return RoleAssignment.objects.filter(
            role=role, person__email__endswith=f"@{org}.example", **extra
        ).order_by("person_id")

    def first(role: str, **extra: Any) -> list[int]:
        return list(holders(role, **extra).values_list("person_id", flat=True)[:2])

    now = timezone.now()
    busiest_learner = _busiest(
        Booking.objects.filter(
            person__in=holders(Role.LEARNER).values("person_id"),
            status__in=LIVE_BOOKING,
            session__ends_at__gte=now,
        )
    )
    busiest_trainer = _busiest(
        SessionStaff.objects.filter(
            person__in=holders(Role.TRAINER).values("person_id"), session__ends_at__gte=now
        )
    )
    trainers = first(Role.TRAINER)
    trainer = [busiest_trainer] if busiest_trainer else trainers[:1]
    ids = {
        "program_manager": first(Role.PROGRAM_MANAGER, org_unit__isnull=True)[:1],
        "master_trainer": first(Role.MASTER_TRAINER)[:1],
        "trainer": trainer,
        "candidate": [t for t in trainers if t not in trainer][:1],
        "learner": [busiest_learner] if busiest_learner else first(Role.LEARNER)[:1],
    }
    if not all(ids.values()):
        raise CommandError(
            f"The {org} organisation is missing: run `python -m cascade generate --scale {org}` "
            "first."
        )
    people = Person.objects.in_bulk([i[0] for i in ids.values()])
    return {key: people[i[0]] for key, i in ids.items()}


def _busiest(rows: QuerySet[Booking] | QuerySet[SessionStaff]) -> int | None:
    """The person with the most of ``rows`` (the lowest id among equals), if any."""
    top = rows.values("person_id").annotate(n=Count("id")).order_by("-n", "person_id").first()
    return top["person_id"] if top else None


def session_to_show(org: str) -> int | None:
    """An upcoming open session of a course with the most people enrolled, among those taught
    by the organisation's trainers (the demo logins for the demo): the costlier session page."""
    domain = f"@{org}.example"  # the demo logins are @demo.example too
    staff = SessionStaff.objects.filter(person__email__endswith=domain)
    return (
        Session.objects.filter(
            status=Session.Status.OPEN,
            starts_at__gt=timezone.now(),
            course__isnull=False,
            pk__in=staff.values("session_id"),
        )
        .order_by("-enrolled_count", "starts_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def pages_for(people: dict[str, Person], org: str = "demo") -> list[Page]:
    """Home for every role; the program manager's directory, a profile and the audit log; the
    learning pages; the session finder and each person's own sessions; a session's page; the
    certification pages (teach-backs, a trainer's path, the certifications list, a public
    credential page, which verifies the signature on every view).

    The profile is the learner's manager's: a person with reports, the costlier kind.
    """
    profile_of = people["learner"].manager_id or people["learner"].pk
    pages = [Page("home", role, "/") for role in ROLES]
    pages += [
        Page("people_directory", "program_manager", "/people/"),
        Page("profile", "program_manager", f"/people/{profile_of}/"),
        Page("audit_log", "program_manager", "/audit/"),
        Page("programs", "program_manager", "/programs/"),
        Page("cohorts", "program_manager", "/cohorts/"),
        Page("my_learning", "candidate", "/learn/"),
        Page("review_queue", "master_trainer", "/review/"),
    ]
    # The demo's spring cohort, when the demo's learning data is loaded.
    coached = Cohort.objects.filter(master_trainers=people["master_trainer"]).order_by("pk")
    cohort = coached.filter(enrolments__person=people["candidate"]).first() or coached.first()
    if cohort is not None:
        pages.append(Page("cohort_dashboard", "master_trainer", f"/cohorts/{cohort.pk}/"))
        if Enrolment.objects.filter(cohort=cohort, person=people["candidate"]).exists():
            pages.append(Page("my_path", "candidate", f"/learn/{cohort.pk}/"))
    pages += [
        Page("sessions", "program_manager", "/sessions/"),
        Page("sessions", "learner", "/sessions/"),
        Page("my_sessions", "learner", "/sessions/mine/"),
        Page("my_sessions", "trainer", "/sessions/mine/"),
    ]
    session = session_to_show(org)
    if session is not None:
        pages.append(Page("session", "program_manager", f"/sessions/{session}/"))
    pages += [
        Page("teach_backs", "master_trainer", "/certification/observations/"),
        Page("teach_backs", "candidate", "/certification/observations/"),
        Page("certification_path", "trainer", "/certification/path/"),
        Page("certifications", "program_manager", "/certification/certifications/"),
    ]
    credential = certification_selectors.certifications_visible(people["trainer"]).first()
    if credential is not None:
        pages.append(Page("credential", "trainer", f"/credentials/{credential.uid}/"))
    return pages


# --- Measuring ------------------------------------------------------------------------------


def _get(client: Client, path: str) -> None:
    response = client.get(path, secure=settings.SECURE_SSL_REDIRECT)
    if response.status_code != 200:
        raise CommandError(f"GET {path} answered {response.status_code}, not 200.")


def time_page(
    client: Client, path: str, *, iterations: int, warmup: int
) -> tuple[list[float], int]:
    """Timings in ms of ``iterations`` requests, and the query count of one more."""
    for _ in range(warmup):
        _get(client, path)
    timings = []
    for _ in range(iterations):
        start = time.perf_counter()
        _get(client, path)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        _get(client, path)
    return timings, len(queries.captured_queries)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (defined for any number of values)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@contextlib.contextmanager
def _static_without_manifest(stderr: Writer | None) -> Iterator[None]:
    """Fall back to plain static URLs when `collectstatic` has not written the manifest.

    Pages would fail on ``{% static %}`` otherwise; a manifest lookup is a dictionary read, so
    timings hardly differ.
    """
    if isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.exists(
        staticfiles_storage.manifest_name
    ):
        if stderr is not None:
            stderr.write("No static files manifest (run collectstatic); using plain static URLs.\n")
        plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        with (
            override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}),
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, same cause
            yield
    else:
        yield


def measure(*, org: str, iterations: int, warmup: int, stderr: Writer | None) -> list[Result]:
    """Every page of ``pages_for`` with its timings, against the configured database."""
    if iterations < 1 or warmup < 0:
        raise CommandError("--iterations must be at least 1 and --warmup at least 0.")
    people = demo_people() if org == "demo" else generated_people(org)
    results = []
    clients: dict[str, Client] = {}
    with _static_without_manifest(stderr):
        try:
            for role, person in people.items():
                clients[role] = Client()
                clients[role].force_login(person)
            baseline_timings, _ = time_page(
                clients["program_manager"], BASELINE_PATH, iterations=iterations, warmup=warmup
            )
            baseline = statistics.median(baseline_timings)
            for page in pages_for(people, org):
                timings, queries = time_page(
                    clients[page.role], page.path, iterations=iterations, warmup=warmup
                )
                results.append(
                    Result(
                        page=page.name,
                        role=page.role,
                        median_ms=round(statistics.median(timings), 2),
                        p95_ms=round(p95(timings), 2),
                        queries=queries,
                        baseline_median_ms=round(baseline, 2),
                    )
                )
        finally:
            for client in clients.values():
                client.logout()  # removes the session rows force_login wrote
    return results


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer | None = None) -> None:
    for result in measure(
        org=options["org"],
        iterations=options["iterations"],
        warmup=options["warmup"],
        stderr=stderr,
    ):
        stdout.write(json.dumps(asdict(result)) + "\n")
