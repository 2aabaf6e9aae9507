"""A plan's figures, the same for the optimiser and the greedy baseline: cost, the busiest
trainer's load and the spread of load (busiest minus least busy among those who work), and
every unfilled role with its reason."""

from __future__ import annotations

from cascade.pool.planning import explain, rules
from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    Assignment,
    Plan,
    Problem,
    Unfilled,
)


def loads(problem: Problem, assignments: list[Assignment]) -> dict[int, int]:
    """Minutes per trainer over the period."""
    minutes = {s.id: s.minutes for s in problem.sessions}
    result = {t.id: 0 for t in problem.trainers}
    for a in assignments:
        result[a.trainer] = result.get(a.trainer, 0) + minutes.get(a.session, 0)
    return result


def plan_from(
    problem: Problem,
    assignments: list[Assignment],
    *,
    seconds: float,
    status: str,
    gap: float | None = None,
    objective: int | None = None,
    bound: int | None = None,
    warnings: list[str] | None = None,
) -> Plan:
    trainers = {t.id: t for t in problem.trainers}
    sessions = {s.id: s for s in problem.sessions}
    cost = sum(rules.seat_cost(trainers[a.trainer], sessions[a.session]) for a in assignments)
    by_trainer = loads(problem, assignments)
    # Spread: between the busiest and the least busy trainer who works in the plan (over the
    # whole pool it would mostly measure who was never available).
    working = {a.trainer for a in assignments}
    active_loads = [by_trainer[t] for t in working] or [0]
    diary = explain.diary_of(problem, assignments)
    filled: dict[tuple[int, str], int] = {}
    for a in assignments:
        filled[(a.session, a.role)] = filled.get((a.session, a.role), 0) + 1
    unfilled = []
    for session in sorted(problem.sessions, key=lambda s: (s.start, s.id)):
        for role, seats in ((LEAD, session.leads), (CO_FACILITATOR, session.co_facilitators)):
            missing = seats - filled.get((session.id, role), 0)
            if missing > 0:
                reason = explain.unfilled_reason(problem, session, role, assignments, diary)
                unfilled += [Unfilled(session.id, role, reason)] * missing
    return Plan(
        assignments=sorted(assignments, key=lambda a: (a.session, a.role, a.trainer)),
        unfilled=unfilled,
        cost_cents=cost,
        max_load=max(active_loads),
        spread=max(active_loads) - min(active_loads),
        seconds=seconds,
        status=status,
        gap=gap,
        objective=objective,
        bound=bound,
        warnings=list(warnings or []),
    )
