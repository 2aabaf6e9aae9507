"""Participation equity, as plain functions: who contributed, the Gini coefficient of
contributions, and picking someone quiet to invite next."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 when everyone contributed equally, towards 1
    when one person did everything. Everyone present counts, zeros included; 0 for no one.

    Uses the sorted-values form G = (2·Σ i·x_i)/(n·Σx) − (n+1)/n, which is O(n log n) and equals
    the mean absolute difference over twice the mean.
    """
    n = len(values)
    total = float(sum(values))
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((i + 1) * x for i, x in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def contributed_share(counts: Mapping[int, int]) -> float:
    """The share of participants with at least one contribution (0 when there are none)."""
    if not counts:
        return 0.0
    return sum(1 for c in counts.values() if c > 0) / len(counts)


def quiet_pick(counts: Mapping[int, int], *, rng: random.Random | None = None) -> int | None:
    """Someone to invite next, favouring the quiet: weight 1/(1+contributions)², so a person
    who has said nothing is four times as likely as someone who spoke once."""
    if not counts:
        return None
    rng = rng or random.Random()  # noqa: S311 - fairness nudge, not security
    people = sorted(counts)
    weights = [1.0 / (1 + counts[p]) ** 2 for p in people]
    return rng.choices(people, weights=weights, k=1)[0]
