"""`bench optimizer`: the staffing optimiser against the greedy baseline on a seeded instance.

Generates a realistic problem (:mod:`cascade.pool.planning.instances`), plans it with greedy
(earliest session first, cheapest free certified trainer) and with CP-SAT under the time limit,
and prints one JSON line: sizes, roles left unfilled, cost (in currency units), the busiest
trainer's load and the spread (hours), the proven gap, seconds, and the same figures for greedy.
``--curve`` runs the three sizes of the benchmark (100×30, 600×100, 2,000×300) and writes the
scale curve (seconds against size) as an SVG. No database.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from cascade.bench.pages import Writer
from cascade.pool.planning import greedy, instances, solver
from cascade.pool.planning.types import Plan

HELP = "Plan a seeded staffing problem with CP-SAT and with greedy; print both (JSON line)."
CURVE = ((100, 30), (600, 100), (2000, 300))


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=600)
    parser.add_argument("--trainers", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for CP-SAT")
    parser.add_argument("--workers", type=int, default=8, help="CP-SAT search workers")
    parser.add_argument(
        "--curve",
        type=Path,
        default=None,
        help="run 100x30, 600x100 and 2000x300 and write the scale curve to this SVG file",
    )


def _figures(plan: Plan) -> dict[str, Any]:
    return {
        "unfilled": len(plan.unfilled),
        "cost": round(plan.cost_cents / 100, 2),
        "max_load": round(plan.max_load / 60, 1),
        "spread": round(plan.spread / 60, 1),
        "seconds": round(plan.seconds, 2),
    }


def measure(
    sessions: int, trainers: int, *, seed: int, time_limit: float, workers: int
) -> dict[str, Any]:
    problem = instances.generate(sessions, trainers, seed=seed)
    baseline = greedy.greedy_plan(problem)
    plan = solver.optimise(problem, time_limit=time_limit, workers=workers)
    roles = sum(s.leads + s.co_facilitators for s in problem.sessions)
    return {
        "sessions": sessions,
        "trainers": trainers,
        "roles": roles,
        **_figures(plan),
        "gap": None if plan.gap is None else round(plan.gap, 5),
        "status": plan.status,
        "greedy": _figures(baseline),
    }


def run(*, options: dict[str, Any], stdout: Writer, stderr: Writer) -> None:
    sizes = CURVE if options["curve"] else ((options["sessions"], options["trainers"]),)
    rows = []
    for sessions, trainers in sizes:
        row = measure(
            sessions,
            trainers,
            seed=options["seed"],
            time_limit=options["time_limit"],
            workers=options["workers"],
        )
        rows.append(row)
        stdout.write(json.dumps(row))
    if options["curve"]:
        options["curve"].write_text(scale_curve_svg(rows), encoding="utf-8")
        stderr.write(f"Scale curve written to {options['curve']}")


def scale_curve_svg(rows: list[dict[str, Any]]) -> str:
    """Seconds against roles (log-log would hide the point): CP-SAT and greedy, with labels."""
    width, height, pad = 560, 320, 48
    top_roles = max(r["roles"] for r in rows) or 1
    top_seconds = max(max(r["seconds"], r["greedy"]["seconds"]) for r in rows) or 1

    def x(roles: float) -> float:
        return pad + (width - 2 * pad) * roles / top_roles

    def y(seconds: float) -> float:
        return height - pad - (height - 2 * pad) * seconds / top_seconds

    def line(key: str | None, colour: str) -> str:
        points = [
            (x(r["roles"]), y(r["seconds"] if key is None else r[key]["seconds"])) for r in rows
        ]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        dots = "".join(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>' for px, py in points
        )
        return f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>{dots}'

    labels = "".join(
        f'<text x="{x(r["roles"]):.1f}" y="{height - pad + 18}" font-size="11" '
        f'text-anchor="middle">{r["sessions"]}×{r["trainers"]}</text>'
        f'<text x="{x(r["roles"]) + 6:.1f}" y="{y(r["seconds"]) - 6:.1f}" font-size="11">'
        f"{r['seconds']} s</text>"
        for r in rows
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Optimiser time against problem size">'
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#555"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#555"/>'
        f'<text x="{width / 2}" y="{height - 8}" font-size="12" text-anchor="middle">'
        f"sessions × trainers (x: roles to fill)</text>"
        f'<text x="14" y="{height / 2}" font-size="12" transform="rotate(-90 14 {height / 2})" '
        f'text-anchor="middle">seconds</text>'
        f"{line(None, '#2563eb')}{line('greedy', '#d97706')}{labels}"
        f'<text x="{pad + 8}" y="16" font-size="12" fill="#2563eb">'
        f"CP-SAT (both phases, time limit per run)</text>"
        f'<text x="{pad + 8}" y="32" font-size="12" fill="#d97706">greedy</text></svg>\n'
    )
