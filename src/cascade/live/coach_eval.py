"""How well the question coach agrees with hand-labelled questions. Pure.

The labelled sets live in ``live/tests/data/``: ``coach_labelled.json`` (the set the rules were
developed against) and ``coach_holdout.json`` (written before the rules, scored only at the end,
to show how far the figures carry over to questions the rules never saw). Each item says what the
question asks the learner to do, not what the coach answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cascade.live.coach import LEVELS, Classification, classify

DATA = Path(__file__).resolve().parent / "tests" / "data"
LABELLED_PATH = DATA / "coach_labelled.json"
HOLDOUT_PATH = DATA / "coach_holdout.json"


@dataclass(frozen=True)
class Labelled:
    question: str
    level: str
    open: bool


def load_labelled(path: Path = LABELLED_PATH) -> list[Labelled]:
    """The items of a labelled JSON file (a list of {question, level, open})."""
    items = json.loads(path.read_text(encoding="utf-8"))
    labelled = [Labelled(str(i["question"]), str(i["level"]), bool(i["open"])) for i in items]
    unknown = {item.level for item in labelled} - set(LEVELS)
    if unknown:
        raise ValueError(f"Unknown Bloom levels in {path.name}: {sorted(unknown)}")
    return labelled


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def evaluate(labelled: Iterable[Labelled]) -> dict[str, Any]:
    """Per-level precision/recall/F1, overall and open/closed accuracy, and how often we're unsure.

    Everything is JSON-ready: counts are ints, ratios floats rounded to three places.
    """
    pairs: list[tuple[Labelled, Classification]] = [(i, classify(i.question)) for i in labelled]
    total = len(pairs)
    confusion = {truth: dict.fromkeys(LEVELS, 0) for truth in LEVELS}
    for item, got in pairs:
        confusion[item.level][got.level] += 1
    levels: dict[str, dict[str, float | int]] = {}
    for level in LEVELS:
        hits = confusion[level][level]
        support = sum(confusion[level].values())
        predicted = sum(confusion[truth][level] for truth in LEVELS)
        precision = hits / predicted if predicted else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        levels[level] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": support,
        }
    correct = sum(1 for item, got in pairs if got.level == item.level)
    confident = [(item, got) for item, got in pairs if got.confident]
    return {
        "items": total,
        "accuracy": _ratio(correct, total),
        "macro_f1": round(sum(float(v["f1"]) for v in levels.values()) / len(LEVELS), 3),
        "open_accuracy": _ratio(sum(1 for i, g in pairs if g.open == i.open), total),
        "unsure_share": _ratio(total - len(confident), total),
        "confident_items": len(confident),
        "confident_accuracy": _ratio(
            sum(1 for i, g in confident if g.level == i.level), len(confident)
        ),
        "levels": levels,
        "confusion": confusion,
    }
