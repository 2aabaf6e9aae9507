"""The staffing optimiser's pure module: the hard rules, the greedy baseline, CP-SAT's plan on
small problems whose best answer is known, explanations in words, and bad input (locks that
cannot hold, roles nobody can fill) answered with reasons rather than a crash."""

from __future__ import annotations

import dataclasses

import pytest

from cascade.pool.planning import explain, greedy, instances, rules, solver
from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    Assignment,
    Problem,
    SessionIn,
    Slot,
    TrainerIn,
    Weights,
)

DAY = 24 * 60
WEEK = tuple(Slot(d * DAY + 7 * 60, d * DAY + 19 * 60) for d in range(7))


def session(sid: int, day: int = 0, start: int = 9, end: int = 12, **kw) -> SessionIn:
    fields = {
        "course": 1,
        "slots": (Slot(day * DAY + start * 60, day * DAY + end * 60),),
        "month": "m0",
        "title": f"S{sid}",
        "course_name": "Safe handling",
    }
    fields.update(kw)
    return SessionIn(id=sid, **fields)


def trainer(tid: int, level: str = "certified", **kw) -> TrainerIn:
    fields = {
        "name": f"T{tid}",
        "certifications": {1: level},
        "available": WEEK,
        "rate_cents": 6000,
    }
    fields.update(kw)
    return TrainerIn(id=tid, **fields)


def test_eligibility_follows_level_language_modality_and_availability():
    s = session(1, language="fr", modality="virtual", co_facilitators=1)
    people = [
        trainer(1),  # no French
        trainer(2, languages=frozenset({"en", "fr"}), modalities=frozenset({"in_person"})),
        trainer(3, languages=frozenset({"fr"}), available=()),  # never available
        trainer(4, languages=frozenset({"fr"})),
        trainer(5, "co_facilitator", languages=frozenset({"fr"})),
    ]
    problem = Problem(sessions=(s,), trainers=tuple(people))
    found = rules.eligibility(problem)
    assert found.by_seat[(1, LEAD)] == [4]
    assert found.by_seat[(1, CO_FACILITATOR)] == [4, 5]
    assert rules.refusal(problem, people[0], s, LEAD) == "T1 does not deliver in fr."
    assert rules.refusal(problem, people[1], s, LEAD) == "T2 does not deliver virtual sessions."
    assert rules.refusal(problem, people[2], s, LEAD) == "T3 is not available at that time."
    assert rules.refusal(problem, people[4], s, LEAD) == (
        "T5 is co-facilitator for this course; the role needs certified."
    )


def test_clashes_by_time_and_by_travel_between_places():
    a = session(1, start=9, end=12, place="North-1")
    b = session(2, start=12, end=15, place="North-1")  # same place, back to back: fine
    c = session(3, start=12, end=15, place="South-1")  # other place, no time to travel
    d = session(4, start=14, end=16, place=None)  # virtual, overlaps b and c
    assert not rules.slots_clash(a, b, 60)
    assert rules.slots_clash(a, c, 60)
    assert rules.slots_clash(b, d, 60)
    groups = rules.clash_groups([a, b, c, d], 60)
    covered = {frozenset(p) for g in groups for p in _pairs(g)}
    assert covered == {frozenset(p) for p in ((1, 3), (2, 3), (2, 4), (3, 4))}


def _pairs(group: list[int]) -> list[tuple[int, int]]:
    return [(x, y) for i, x in enumerate(group) for y in group[i + 1 :]]


def test_greedy_takes_the_cheapest_free_trainer_earliest_session_first():
    problem = Problem(
        sessions=(session(1, start=9, end=12), session(2, start=10, end=13)),
        trainers=(trainer(1, rate_cents=3000), trainer(2, rate_cents=5000)),
    )
    plan = greedy.greedy(problem)
    assert plan == [Assignment(1, LEAD, 1), Assignment(2, LEAD, 2)]


def test_the_optimiser_fills_what_greedy_leaves_empty():
    # Greedy gives the early session to the cheap generalist, who was the only one able to
    # take the second (French) session; the optimiser fills both.
    problem = Problem(
        sessions=(session(1, start=9, end=12), session(2, start=10, end=13, language="fr")),
        trainers=(
            trainer(1, rate_cents=3000, languages=frozenset({"en", "fr"})),
            trainer(2, rate_cents=5000),
        ),
    )
    baseline = greedy.greedy_plan(problem)
    assert len(baseline.unfilled) == 1
    plan = solver.optimise(problem, time_limit=10)
    assert plan.unfilled == []
    assert sorted(plan.assignments) == [Assignment(1, LEAD, 2), Assignment(2, LEAD, 1)]
    assert plan.status == "OPTIMAL"
    assert plan.gap == 0.0


def test_cost_includes_travel_and_the_cheaper_plan_wins():
    north = trainer(1, rate_cents=4000, region="North", travel_cents={"South": 50_000})
    south = trainer(2, rate_cents=6000, region="South")
    problem = Problem(
        sessions=(session(1, region="South", place="South-1"),),
        trainers=(north, south),
        weights=Weights(max_load=0, spread=0),
    )
    plan = solver.optimise(problem, time_limit=10)
    assert plan.assignments == [Assignment(1, LEAD, 2)]
    assert plan.cost_cents == 6000 * 3  # three hours, no travel
    assert "costs less here" in explain.why_not(problem, plan.assignments, 1, LEAD, 1)


def test_load_is_balanced_when_costs_are_equal():
    sessions = tuple(session(i, day=i) for i in range(1, 5))
    problem = Problem(sessions=sessions, trainers=(trainer(1), trainer(2)))
    plan = solver.optimise(problem, time_limit=10)
    per_trainer = {t: sum(1 for a in plan.assignments if a.trainer == t) for t in (1, 2)}
    assert per_trainer == {1: 2, 2: 2}
    assert (plan.max_load, plan.spread) == (6 * 60, 0)


def test_monthly_caps_and_clashes_are_never_broken():
    problem = instances.generate(60, 15, seed=3)
    plan = solver.optimise(problem, time_limit=10)
    sessions = {s.id: s for s in problem.sessions}
    trainers = {t.id: t for t in problem.trainers}
    diary = rules.Diary(problem)
    for a in sorted(plan.assignments, key=lambda a: sessions[a.session].start):
        t, s = trainers[a.trainer], sessions[a.session]
        assert rules.refusal(problem, t, s, a.role) is None
        assert diary.conflict(t, s) is None, (a, diary.conflict(t, s))
        diary.take(t, s)
    assert len(plan.unfilled) <= len(greedy.greedy_plan(problem).unfilled)


def test_a_candidate_co_facilitates_only_under_a_lead():
    s = session(1, co_facilitators=1)
    candidate = trainer(2, "co_facilitator", co_deliveries_needed={1: 2})
    alone = Problem(sessions=(s,), trainers=(candidate,))
    plan = solver.optimise(alone, time_limit=10)
    assert plan.assignments == []
    reasons = {u.role: u.reason for u in plan.unfilled}
    assert reasons[LEAD] == "Nobody is certified (certified or above) for Safe handling."
    assert reasons[CO_FACILITATOR] == (
        "Only co-facilitator-level trainers are free, and the session has no lead to "
        "supervise them."
    )
    with_lead = dataclasses.replace(alone, trainers=(candidate, trainer(1)))
    plan = solver.optimise(with_lead, time_limit=10)
    assert sorted(plan.assignments) == [Assignment(1, CO_FACILITATOR, 2), Assignment(1, LEAD, 1)]


def test_development_goals_give_candidates_their_co_deliveries():
    # Two co-facilitator seats' worth of sessions; a certified trainer would be cheaper, but the
    # candidate needs the co-deliveries for their next level.
    sessions = (session(1, co_facilitators=1), session(2, day=1, co_facilitators=1))
    problem = Problem(
        sessions=sessions,
        trainers=(
            trainer(1, "master"),
            trainer(2, "certified", rate_cents=1000),
            trainer(3, "co_facilitator", rate_cents=9000, co_deliveries_needed={1: 2}),
        ),
        weights=Weights(max_load=0, spread=0),  # development against cost alone
    )
    plan = solver.optimise(problem, time_limit=10)
    co = sorted(a.trainer for a in plan.assignments if a.role == CO_FACILITATOR)
    assert co == [3, 3]


def test_a_lock_on_an_unavailable_trainer_is_explained_and_the_plan_still_comes():
    problem = Problem(
        sessions=(session(1),),
        trainers=(trainer(1, available=()), trainer(2)),
        locks=(Assignment(1, LEAD, 1),),
    )
    plan = solver.optimise(problem, time_limit=10)
    assert plan.warnings == ["Lock on S1 ignored: T1 is not available at that time."]
    assert plan.assignments == [Assignment(1, LEAD, 2)]


def test_locks_are_kept_even_when_dearer():
    problem = Problem(
        sessions=(session(1),),
        trainers=(trainer(1, rate_cents=9000), trainer(2, rate_cents=1000)),
        locks=(Assignment(1, LEAD, 1),),
    )
    plan = solver.optimise(problem, time_limit=10)
    assert plan.assignments == [Assignment(1, LEAD, 1)]


def test_unfilled_roles_say_why_in_words():
    problem = Problem(
        sessions=(
            session(1, course=9, course_name="Sepsis"),
            session(2, start=9, end=12),
            session(3, start=10, end=11),
        ),
        trainers=(trainer(1),),
    )
    plan = solver.optimise(problem, time_limit=10)
    reasons = {u.session: u.reason for u in plan.unfilled}
    assert reasons[1] == "Nobody is certified (certified or above) for Sepsis."
    assert reasons[(set(reasons) - {1}).pop()] == (
        "All 1 certified trainers who are available are busy with other sessions or at their "
        "monthly limit (T1)."
    )


def test_stability_keeps_the_previous_plan_when_nothing_else_matters():
    problem = Problem(
        sessions=(session(1),),
        trainers=(trainer(1), trainer(2)),
        previous=(Assignment(1, LEAD, 2),),
    )
    assert solver.optimise(problem, time_limit=10).assignments == [Assignment(1, LEAD, 2)]


@pytest.mark.parametrize("seed", [1, 2])
def test_on_generated_instances_the_optimiser_never_fills_fewer_roles_than_greedy(seed):
    problem = instances.generate(100, 30, seed=seed)
    baseline = greedy.greedy_plan(problem)
    plan = solver.optimise(problem, time_limit=10)
    assert len(plan.unfilled) <= len(baseline.unfilled)
    assert plan.gap is not None
    assert all(u.reason for u in plan.unfilled)
