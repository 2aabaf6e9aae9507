"""`bench optimizer` prints the issue's JSON line and writes the scale curve."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from cascade.bench import optimizer

KEYS = {
    "sessions",
    "trainers",
    "roles",
    "unfilled",
    "cost",
    "max_load",
    "spread",
    "gap",
    "seconds",
    "status",
    "greedy",
}


def test_bench_optimizer_prints_one_json_line_with_greedy_beside_it() -> None:
    out = StringIO()
    call_command(
        "bench",
        "optimizer",
        "--sessions",
        "40",
        "--trainers",
        "12",
        "--time-limit",
        "5",
        stdout=out,
    )
    (row,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert set(row) == KEYS
    assert (row["sessions"], row["trainers"]) == (40, 12)
    assert row["roles"] >= 40
    assert row["unfilled"] <= row["greedy"]["unfilled"]
    assert set(row["greedy"]) == {"unfilled", "cost", "max_load", "spread", "seconds"}
    assert 0 <= row["gap"] <= 1


def test_the_scale_curve_is_an_svg_with_a_point_per_size() -> None:
    rows = [
        {"sessions": n, "trainers": t, "roles": n * 2, "seconds": s, "greedy": {"seconds": 0.1}}
        for n, t, s in ((100, 30, 1.5), (600, 100, 9.0), (2000, 300, 60.0))
    ]
    svg = optimizer.scale_curve_svg(rows)
    assert svg.startswith("<svg")
    assert svg.count("<circle") == 6
    assert "2000×300" in svg
