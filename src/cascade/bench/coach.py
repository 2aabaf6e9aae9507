"""`bench coach`: how well and how fast the question coach classifies the labelled questions.

It scores :func:`cascade.live.coach.classify` against a hand-labelled set (by default the
development set in ``live/tests/data/coach_labelled.json``; ``--labelled`` takes another, such
as ``coach_holdout.json``) and prints one JSON line: per-level precision, recall, F1 and
support, overall and open/closed accuracy, the share flagged unsure, accuracy on the confident
items, the confusion matrix, and the median time to classify one question. No database.
"""

from __future__ import annotations

import json
import statistics
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from cascade.bench.pages import Writer
from cascade.live.coach import classify
from cascade.live.coach_eval import LABELLED_PATH, evaluate, load_labelled

HELP = "Score the question coach on the labelled questions (JSON line)."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--labelled",
        type=Path,
        default=LABELLED_PATH,
        help="a JSON list of {question, level, open} (default: the development set)",
    )
    parser.add_argument("--iterations", type=int, default=5, help="timed passes over the set")


def _median_us_per_question(questions: list[str], iterations: int) -> float:
    """Median over passes of the mean time to classify one question, in microseconds."""
    passes = []
    for _ in range(iterations):
        started = time.perf_counter()
        for question in questions:
            classify(question)
        passes.append((time.perf_counter() - started) / len(questions) * 1e6)
    return round(statistics.median(passes), 1)


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer | None = None) -> None:
    path = Path(options["labelled"])
    if options["iterations"] < 1:
        raise CommandError("--iterations must be at least 1.")
    try:
        labelled = load_labelled(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"Cannot read the labelled questions in {path}: {exc}") from exc
    if not labelled:
        raise CommandError(f"{path} holds no questions.")
    result = {"set": path.name, **evaluate(labelled)}
    questions = [item.question for item in labelled]
    result["classify_us_median"] = _median_us_per_question(questions, options["iterations"])
    stdout.write(json.dumps(result) + "\n")
