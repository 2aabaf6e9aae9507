"""The greedy baseline the optimiser is measured against (and starts from): sessions earliest
first, leads before co-facilitators, each seat to the cheapest eligible trainer who is free
then (no clash, under their monthly cap, supervised if a candidate). Locks are placed first.
"""

from __future__ import annotations

import time
from collections import defaultdict

from cascade.pool.planning import rules
from cascade.pool.planning.figures import plan_from
from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    Assignment,
    Plan,
    Problem,
)


def greedy(problem: Problem, eligible: rules.Eligibility | None = None) -> list[Assignment]:
    """``eligible`` may be passed when the caller has computed it already (the optimiser)."""
    trainers = {t.id: t for t in problem.trainers}
    sessions = {s.id: s for s in problem.sessions}
    eligible = eligible or rules.eligibility(problem)
    diary = rules.Diary(problem)
    taken: dict[tuple[int, str], list[int]] = defaultdict(list)
    for lock in problem.locks:
        trainer, session = trainers.get(lock.trainer), sessions.get(lock.session)
        if trainer is None or session is None:
            continue
        if rules.refusal(problem, trainer, session, lock.role) or diary.conflict(trainer, session):
            continue
        diary.take(trainer, session)
        taken[(session.id, lock.role)].append(trainer.id)
    for session in sorted(problem.sessions, key=lambda s: (s.start, s.id)):
        for role, seats in ((LEAD, session.leads), (CO_FACILITATOR, session.co_facilitators)):
            for _seat in range(seats - len(taken[(session.id, role)])):
                options = []
                for tid in eligible.by_seat.get((session.id, role), []):
                    trainer = trainers[tid]
                    if diary.conflict(trainer, session):
                        continue
                    unsupervised = (
                        role == CO_FACILITATOR
                        and session.supervised
                        and rules.is_candidate(trainer, session)
                        and not taken[(session.id, LEAD)]
                    )
                    if unsupervised:
                        continue
                    options.append((rules.seat_cost(trainer, session), tid))
                if not options:
                    break
                _cost, tid = min(options)
                diary.take(trainers[tid], session)
                taken[(session.id, role)].append(tid)
    return [
        Assignment(session=sid, role=role, trainer=tid)
        for (sid, role), tids in sorted(taken.items())
        for tid in tids
    ]


def greedy_plan(problem: Problem) -> Plan:
    """The baseline as a :class:`Plan` with the same figures as the optimiser's."""
    started = time.perf_counter()
    assignments = greedy(problem)
    return plan_from(problem, assignments, seconds=time.perf_counter() - started, status="GREEDY")
