"""`bench cohort`: server time and query count of the cohort dashboard for an N-person cohort.

It builds a cohort of ``--size`` people on a 20-step program (four modules, a prerequisite
chain, due dates every few days, a start date 30 days ago) with mixed progress: some people
ahead, most on track, some behind, a few steps waiting for review or failed. Then it requests the
dashboard as the program manager through Django's test ``Client``, like ``bench pages``, and
prints one JSON line with the baseline (``/healthz``) measured in the same run.

By default everything happens in a **scratch SQLite database** (a temporary file, migrated, then
deleted), so the configured database is never touched. With ``--current-db`` the data is built
in the configured database instead, clearly labelled (the program "Benchmark: cohort dashboard",
people ``bench-cohort-NNNN@bench.example``) and reused by later runs of the same size.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import statistics
import tempfile
from argparse import ArgumentParser
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cascade.bench.pages import BASELINE_PATH, Writer, _static_without_manifest, p95, time_page
from cascade.learning.models import (
    Cohort,
    Enrolment,
    Program,
    ProgressStatus,
    Step,
    StepProgress,
)
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import programs as program_services
from cascade.people.models import Person, Role, RoleAssignment

HELP = "Time the cohort dashboard for an N-person, 20-step cohort (JSON line)."
STEPS = 20
MODULES = 4
START_DAYS_AGO = 30
PROGRAM_SLUG = "bench-cohort-dashboard"
PROGRAM_TITLE = "Benchmark: cohort dashboard"
PM_EMAIL = "bench-cohort-pm@bench.example"
KINDS = ("lesson", "lesson", "reflection", "on_the_job", "lesson")


@dataclass(frozen=True)
class Result:
    page: str
    people: int
    steps: int
    median_ms: float
    p95_ms: float
    queries: int
    baseline_median_ms: float


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=500, help="people in the cohort")
    parser.add_argument("--iterations", type=int, default=30, help="timed requests")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--current-db",
        action="store_true",
        help="build the cohort in the configured database (labelled, reused) instead of a "
        "scratch one",
    )


# --- Building the cohort --------------------------------------------------------------------


def _program(pm: Person) -> Program:
    program = program_services.program_create(
        title=PROGRAM_TITLE,
        slug=PROGRAM_SLUG,
        actor=pm,
        summary="Made by `python -m cascade bench cohort`; safe to delete.",
    )
    version = program_services.draft_version(program)
    assert version is not None
    modules = [
        program_services.module_create(version=version, title=f"Week {n + 1}")
        for n in range(MODULES)
    ]
    previous = None
    for n in range(STEPS):
        kind = KINDS[n % len(KINDS)]
        config: dict[str, Any] = {}
        if kind == "on_the_job":
            config = {"checklist": ["Plan it", "Do it"]}
        step = program_services.step_create(
            version=version,
            module=modules[n * MODULES // STEPS],
            kind=kind,
            title=f"Step {n + 1}: {kind.replace('_', ' ')} on facilitation",
            body="Read this." if kind == "lesson" else "",
            required=kind != "reflection",
            due_offset_days=3 + 3 * n,
            config=config,
        )
        if previous is not None:
            program_services.step_set_prerequisites(step=step, prerequisite_ids=[previous.pk])
        previous = step
    program_services.version_publish(version=version, actor=pm)
    return program


def _progress_for(rng: random.Random, steps: list[Step], enrolment_id: int) -> list[StepProgress]:
    """Done up to some step (ahead, on time or behind), then one step under way."""
    on_time = sum(1 for n in range(STEPS) if 3 + 3 * n < START_DAYS_AGO)
    done = max(0, min(STEPS, on_time + rng.choice((-6, -3, -1, 0, 0, 0, 1, 2, 4))))
    rows = [
        StepProgress(enrolment_id=enrolment_id, step=s, status=ProgressStatus.COMPLETED)
        for s in steps[:done]
    ]
    if done < STEPS:
        status = rng.choice(
            (ProgressStatus.IN_PROGRESS, ProgressStatus.SUBMITTED, ProgressStatus.FAILED)
        )
        rows.append(StepProgress(enrolment_id=enrolment_id, step=steps[done], status=status))
    return rows


@transaction.atomic
def build_cohort(size: int) -> tuple[Cohort, Person]:
    """The benchmark cohort of ``size`` people (made once per size, then reused)."""
    pm, created = Person.objects.get_or_create(
        email=PM_EMAIL, defaults={"display_name": "Benchmark program manager"}
    )
    if created:
        pm.set_unusable_password()
        pm.save(update_fields=["password"])
        RoleAssignment.objects.create(person=pm, role=Role.PROGRAM_MANAGER)
    name = f"Benchmark cohort ({size} people)"
    existing = Cohort.objects.filter(program__slug=PROGRAM_SLUG, name=name).first()
    if existing is not None:
        return existing, pm
    program = Program.objects.filter(slug=PROGRAM_SLUG).first() or _program(pm)
    cohort = cohort_services.cohort_create(
        program=program,
        name=name,
        start_date=timezone.localdate() - timedelta(days=START_DAYS_AGO),
        actor=pm,
    )
    prefix = f"bench-cohort-{size}-"
    Person.objects.bulk_create(
        Person(email=f"{prefix}{n:05d}@bench.example", display_name=f"Candidate {n:05d}")
        for n in range(size)
    )
    people = list(Person.objects.filter(email__startswith=prefix))
    RoleAssignment.objects.bulk_create(RoleAssignment(person=p, role=Role.TRAINER) for p in people)
    cohort_services.cohort_enrol(cohort=cohort, people=people, actor=pm, notify=False)
    steps = list(Step.objects.filter(version=cohort.version).order_by("position", "id"))
    rng = random.Random(size)
    progress: list[StepProgress] = []
    for enrolment_id in Enrolment.objects.filter(cohort=cohort).values_list("pk", flat=True):
        progress += _progress_for(rng, steps, enrolment_id)
    StepProgress.objects.bulk_create(progress, batch_size=2000)
    return cohort, pm


# --- The database -----------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(stderr: Writer | None) -> Iterator[None]:
    """A migrated SQLite database in a temporary file, deleted afterwards."""
    if connection.vendor != "sqlite":
        raise CommandError("The scratch database is SQLite only; use --current-db.")
    directory = Path(tempfile.mkdtemp(prefix="cascade-bench-cohort-"))
    original_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test_settings.get("NAME")
    test_settings["NAME"] = str(directory / "scratch.sqlite3")
    if stderr is not None:
        stderr.write(f"Scratch database: {test_settings['NAME']} (deleted afterwards)\n")
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        yield
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        shutil.rmtree(directory, ignore_errors=True)


# --- Measuring --------------------------------------------------------------------------------


def measure(*, size: int, iterations: int, warmup: int, stderr: Writer | None) -> Result:
    if size < 1 or iterations < 1 or warmup < 0:
        raise CommandError("--size and --iterations must be at least 1, --warmup at least 0.")
    cohort, pm = build_cohort(size)
    client = Client()
    client.force_login(pm)
    try:
        with _static_without_manifest(stderr):
            baseline, _ = time_page(client, BASELINE_PATH, iterations=iterations, warmup=warmup)
            path = reverse("learning:cohort", args=[cohort.pk])
            timings, queries = time_page(client, path, iterations=iterations, warmup=warmup)
    finally:
        client.logout()
    return Result(
        page="cohort_dashboard",
        people=Enrolment.objects.filter(cohort=cohort).count(),
        steps=Step.objects.filter(version=cohort.version).count(),
        median_ms=round(statistics.median(timings), 2),
        p95_ms=round(p95(timings), 2),
        queries=queries,
        baseline_median_ms=round(statistics.median(baseline), 2),
    )


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer | None = None) -> None:
    kwargs = {
        "size": options["size"],
        "iterations": options["iterations"],
        "warmup": options["warmup"],
        "stderr": stderr,
    }
    if options["current_db"]:
        if stderr is not None:
            stderr.write(
                f"Building in the configured database: program “{PROGRAM_TITLE}”, people "
                "bench-cohort-*@bench.example (kept and reused).\n"
            )
        result = measure(**kwargs)
    else:
        with scratch_database(stderr):
            result = measure(**kwargs)
    stdout.write(json.dumps(asdict(result)) + "\n")
