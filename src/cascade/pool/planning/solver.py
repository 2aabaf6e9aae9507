"""The staffing optimiser: Google OR-Tools CP-SAT over :mod:`types` dataclasses.

Model. A boolean ``x[s, r, t]`` for every seat role ``r`` of session ``s`` that trainer ``t``
may take (:func:`rules.eligibility`: certified at the level, language, modality, available for
every slot, not excluded). Hard rules: at most the seats of each role are filled; one role per
trainer per session; one session per trainer in every clash group (overlapping sessions, or
different places closer than the travel buffer); minutes per month under each trainer's cap; a
candidate (co-facilitator level) sits in a supervised co-facilitator seat only when the
session has a lead; locks are kept.

Solving is lexicographic, because an empty role is worse than any cost: phase 1 maximises the
number of filled roles; phase 2 keeps that number and minimises
``cost + max_load + spread - development - preferences - stability`` with the program
manager's weights (:class:`types.Weights`). Both phases start from the greedy plan as a hint,
so the result never fills fewer roles than greedy. ``gap`` is phase 2's proven relative gap
between the best plan and the solver's bound (0 when optimal).
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from cascade.pool.planning import figures, greedy, rules
from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    Assignment,
    Plan,
    Problem,
)

Progress = Callable[[str, float], None]


def _check_locks(problem: Problem) -> tuple[list[Assignment], list[str]]:
    """Locks that can be kept, and a warning in words for each one that cannot (a lock on
    a trainer who is not certified or not available, two locks that clash, more locks than
    seats): the plan goes on without it rather than failing."""
    trainers = {t.id: t for t in problem.trainers}
    sessions = {s.id: s for s in problem.sessions}
    kept: list[Assignment] = []
    warnings: list[str] = []
    diary = rules.Diary(problem)
    per_role: dict[tuple[int, str], int] = defaultdict(int)
    for lock in problem.locks:
        trainer, session = trainers.get(lock.trainer), sessions.get(lock.session)
        if trainer is None or session is None:
            warnings.append(f"A lock names a session or trainer outside this plan: {lock}.")
            continue
        label = session.title or f"session {session.id}"
        refused = rules.refusal(problem, trainer, session, lock.role)
        if refused:
            warnings.append(f"Lock on {label} ignored: {refused}")
            continue
        clash = diary.conflict(trainer, session)
        if clash:
            warnings.append(f"Lock on {label} ignored: {clash}")
            continue
        seats = session.leads if lock.role == LEAD else session.co_facilitators
        if per_role[(session.id, lock.role)] >= seats:
            warnings.append(f"Lock on {label} ignored: every {lock.role} seat is already locked.")
            continue
        diary.take(trainer, session)
        per_role[(session.id, lock.role)] += 1
        kept.append(lock)
    return kept, warnings


class _Model:
    """The CP-SAT model of one problem; built once, solved in two phases."""

    def __init__(
        self, problem: Problem, locks: list[Assignment], eligible: rules.Eligibility
    ) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        m = self.model
        self.sessions = {s.id: s for s in problem.sessions}
        self.trainers = {t.id: t for t in problem.trainers}
        forced = {(a.session, a.role, a.trainer) for a in locks}
        self.x: dict[tuple[int, str, int], cp_model.IntVar] = {}
        for (sid, role), tids in eligible.by_seat.items():
            for tid in tids:
                self.x[(sid, role, tid)] = m.new_bool_var(f"x_{sid}_{role[0]}_{tid}")
        for key in forced:
            if key in self.x:
                m.add(self.x[key] == 1)
        by_seat: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
        by_pair: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for (sid, role, tid), var in self.x.items():
            by_seat[(sid, role)].append(var)
            by_pair[(sid, tid)].append(var)
        self.by_seat = by_seat
        self.filled: list[cp_model.LinearExprT] = []
        for (sid, role), vars_ in by_seat.items():
            session = self.sessions[sid]
            seats = session.leads if role == LEAD else session.co_facilitators
            m.add(sum(vars_) <= seats)
            self.filled.append(sum(vars_))
        # y[s, t]: the trainer works in the session (in one role at most).
        self.y: dict[tuple[int, int], cp_model.LinearExprT] = {}
        for pair, vars_ in by_pair.items():
            if len(vars_) > 1:
                m.add_at_most_one(vars_)
            self.y[pair] = sum(vars_) if len(vars_) > 1 else vars_[0]
        self._clashes(eligible.by_trainer)
        self._caps()
        self._supervision()

    def _clashes(self, by_trainer: dict[int, list[int]]) -> None:
        groups = rules.clash_groups(list(self.problem.sessions), self.problem.travel_buffer)
        member_of: dict[int, list[int]] = defaultdict(list)
        for index, group in enumerate(groups):
            for sid in group:
                member_of[sid].append(index)
        for tid, sids in by_trainer.items():
            mine = set(sids)
            seen: set[int] = set()
            for sid in sids:
                for index in member_of.get(sid, ()):
                    if index in seen:
                        continue
                    seen.add(index)
                    inside = [self.y[(s, tid)] for s in groups[index] if s in mine]
                    if len(inside) > 1:
                        self.model.add(sum(inside) <= 1)

    def _caps(self) -> None:
        per_month: dict[tuple[int, str], list[tuple[int, cp_model.LinearExprT]]] = defaultdict(list)
        for (sid, tid), y in self.y.items():
            session = self.sessions[sid]
            per_month[(tid, session.month)].append((session.minutes, y))
        for (tid, _month), terms in per_month.items():
            cap = self.trainers[tid].max_minutes
            if cap is not None and sum(minutes for minutes, _ in terms) > cap:
                self.model.add(sum(minutes * y for minutes, y in terms) <= cap)

    def _supervision(self) -> None:
        for (sid, role, tid), var in self.x.items():
            session = self.sessions[sid]
            if (
                role == CO_FACILITATOR
                and session.supervised
                and rules.is_candidate(self.trainers[tid], session)
            ):
                leads = self.by_seat.get((sid, LEAD), [])
                if not leads:
                    self.model.add(var == 0)
                else:
                    self.model.add(var <= sum(leads))

    def empty_role_cost(self) -> int:
        """What an empty role costs in the objective: more than ten times anything one seat
        can change (its cost, an hour of every load term per hour of the session, the
        development, preference and stability credits), so filling always comes first."""
        w = self.problem.weights
        seat = max(
            (
                rules.seat_cost(self.trainers[tid], self.sessions[sid]) // 100
                for (sid, _r, tid) in self.x
            ),
            default=0,
        )
        hours = max((s.minutes for s in self.problem.sessions), default=0) // 60 + 1
        per_seat = (
            w.cost * seat
            + (w.max_load + w.spread) * hours
            + w.development
            + w.preference
            + w.stability
        )
        return max(10**6, 10 * per_seat)

    def objective(self) -> tuple[cp_model.LinearExprT, cp_model.LinearExprT]:
        """The weighted objective without the filling term, and the number of filled roles.

        Units: whole currency units and hours. Balance is two terms: the busiest trainer's
        hours, and the hours each trainer works above the fair share (the work to staff divided
        among the trainers who could take any of it), which evens out everyone else too (the
        busiest is often someone nobody can replace).
        """
        p, w, m = self.problem, self.problem.weights, self.model
        terms: list[cp_model.LinearExprT] = []
        for (sid, _role, tid), var in self.x.items():
            coefficient = w.cost * (rules.seat_cost(self.trainers[tid], self.sessions[sid]) // 100)
            coefficient -= w.preference * self.trainers[tid].preferences.get(sid, 0)
            terms.append(coefficient * var)
        for a in p.previous:
            key = (a.session, a.role, a.trainer)
            if key in self.x:
                terms.append(-w.stability * self.x[key])
        load: dict[int, list[tuple[int, cp_model.LinearExprT]]] = defaultdict(list)
        for (sid, tid), y in self.y.items():
            load[tid].append((self.sessions[sid].minutes, y))
        horizon = sum(s.minutes for s in p.sessions) // 60 + 1
        if load and w.max_load:
            top = m.new_int_var(0, horizon, "max_load_hours")
            for parts in load.values():
                m.add(60 * top >= sum(minutes * y for minutes, y in parts))
            terms.append(w.max_load * top)
        if load and w.spread:
            work = sum(s.minutes * (s.leads + s.co_facilitators) for s in p.sessions)
            fair = work // len(load) // 60
            for tid, parts in load.items():
                above = m.new_int_var(0, horizon, f"above_{tid}")
                m.add(60 * above >= sum(minutes * y for minutes, y in parts) - 60 * fair)
                terms.append(w.spread * above)
        for tid, trainer in self.trainers.items():
            for course, needed in trainer.co_deliveries_needed.items():
                seats = [
                    var
                    for (sid, role, t), var in self.x.items()
                    if t == tid and role == CO_FACILITATOR and self.sessions[sid].course == course
                ]
                if seats and needed > 0:
                    credit = m.new_int_var(0, needed, f"dev_{tid}_{course}")
                    m.add(credit <= sum(seats))
                    terms.append(-w.development * credit)
        return sum(terms), sum(self.filled)

    def hint(self, assignments: list[Assignment]) -> None:
        chosen = {(a.session, a.role, a.trainer) for a in assignments}
        self.model.clear_hints()
        for key, var in self.x.items():
            self.model.add_hint(var, key in chosen)

    def assignments(self, solver: cp_model.CpSolver) -> list[Assignment]:
        return [
            Assignment(session=sid, role=role, trainer=tid)
            for (sid, role, tid), var in self.x.items()
            if solver.boolean_value(var)
        ]


def _solver(seconds: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    # Level 2 adds the clash and cap constraints to the LP relaxation: the bound that proves
    # a plan optimal comes from there.
    solver.parameters.linearization_level = 2
    return solver


def optimise(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 8,
    progress: Progress | None = None,
) -> Plan:
    """The best plan found within ``time_limit`` seconds (both phases together).

    Phase 1 finds the most roles that can be filled (quick, and proven); phase 2 minimises
    ``empty roles x their cost + the weighted rest`` from phase 1's plan, never filling fewer
    than greedy. ``gap`` is phase 2's proven gap relative to the weighted rest (the filling
    term is exact once phase 1 has proven its number).
    """
    started = time.perf_counter()
    say = progress or (lambda _stage, _share: None)
    locks, warnings = _check_locks(problem)
    kept = dataclasses.replace(problem, locks=tuple(locks))
    say("greedy", 0.02)
    eligible = rules.eligibility(kept)
    start = greedy.greedy(kept, eligible)
    say("model", 0.05)
    built = _Model(kept, locks, eligible)
    built.hint(start)
    model = built.model
    filled = sum(built.filled)
    model.add(filled >= len(start))
    model.maximize(filled)
    say("filling", 0.1)
    solver = _solver((time_limit - (time.perf_counter() - started)) * 0.25, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Cannot happen with greedy's plan as a hint (and an empty plan is always feasible),
        # but never answer with nothing.
        return figures.plan_from(
            kept,
            start,
            seconds=time.perf_counter() - started,
            status="GREEDY",
            warnings=[*warnings, "The optimiser found no plan in time; this is the greedy one."],
        )
    most = round(solver.objective_value)
    fill_proven = status == cp_model.OPTIMAL
    built.hint(built.assignments(solver))
    rest, filled = built.objective()
    empty = built.empty_role_cost()
    model.minimize(cp_model.LinearExpr.weighted_sum([rest, filled], [1, -empty]))
    say("optimising", 0.4)
    solver = _solver(time_limit - (time.perf_counter() - started), workers)
    status = solver.solve(model)
    say("done", 1.0)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return figures.plan_from(
            kept, start, seconds=time.perf_counter() - started, status="GREEDY", warnings=warnings
        )
    assignments = built.assignments(solver)
    objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
    weighted_rest = objective + empty * len(assignments)
    if status == cp_model.OPTIMAL:
        gap: float | None = 0.0
    elif fill_proven and len(assignments) == most:
        gap = abs(objective - bound) / max(1, abs(weighted_rest))
    else:
        gap = None  # the filling itself is not proven: no honest figure for the rest
    return figures.plan_from(
        kept,
        assignments,
        seconds=time.perf_counter() - started,
        status=solver.status_name(status),
        gap=gap,
        objective=weighted_rest,
        bound=bound + empty * len(assignments),
        warnings=warnings,
    )


def _gap(objective: int, bound: int) -> float:
    """Relative gap as CP-SAT reports it: |objective - bound| / max(1, |objective|)."""
    return abs(objective - bound) / max(1, abs(objective))
