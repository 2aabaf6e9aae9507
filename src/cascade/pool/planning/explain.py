"""Reasons a person can read: why a role is unfilled, and why a trainer is not in a role.

Each reason walks the hard rules in the order a program manager would check them (is anyone
certified? do they speak the language and deliver this way? are they free at that time? are
they busy elsewhere or at their limit?) and stops at the first that rules everyone out.
"""

from __future__ import annotations

from cascade.pool.planning import rules
from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    Assignment,
    Problem,
    SessionIn,
    TrainerIn,
)

ROLE_WORDS = {LEAD: "lead trainer", CO_FACILITATOR: "co-facilitator"}


def _names(trainers: list[TrainerIn], limit: int = 3) -> str:
    names = [t.name for t in trainers[:limit]]
    more = len(trainers) - len(names)
    text = ", ".join(names)
    return f"{text} and {more} more" if more > 0 else text


def _course(session: SessionIn) -> str:
    return session.course_name or f"course {session.course}"


def diary_of(problem: Problem, assignments: list[Assignment]) -> rules.Diary:
    sessions = {s.id: s for s in problem.sessions}
    trainers = {t.id: t for t in problem.trainers}
    diary = rules.Diary(problem)
    for a in assignments:
        if a.session in sessions and a.trainer in trainers:
            diary.take(trainers[a.trainer], sessions[a.session])
    return diary


def unfilled_reason(
    problem: Problem,
    session: SessionIn,
    role: str,
    assignments: list[Assignment],
    diary: rules.Diary,
) -> str:
    """Why a seat of ``role`` in ``session`` stays empty in this plan."""
    level = rules.LEVEL_WORDS[rules.needed_level(session, role)]
    certified = [t for t in problem.trainers if rules.certified_for(t, session, role)]
    if not certified:
        return f"Nobody is certified ({level} or above) for {_course(session)}."
    speaking = [t for t in certified if session.language in t.languages]
    if not speaking:
        return (
            f"None of the {len(certified)} trainers certified for {_course(session)} "
            f"delivers in {session.language}."
        )
    delivering = [t for t in speaking if session.modality in t.modalities]
    if not delivering:
        words = rules.MODALITY_WORDS.get(session.modality, session.modality)
        return f"None of the {len(speaking)} certified trainers delivers {words} sessions."
    allowed = [t for t in delivering if (session.id, t.id) not in problem.forbidden]
    available = [t for t in allowed if rules.available_for(t, session)]
    if not available:
        return (
            f"All {len(allowed)} certified trainers are unavailable at that time "
            f"({_names(allowed)})."
        )
    in_session = {a.trainer for a in assignments if a.session == session.id}
    free = [t for t in available if t.id not in in_session and not diary.conflict(t, session)]
    if not free:
        busy = [t for t in available if t.id not in in_session]
        if not busy:
            return "Every certified trainer who is free already has another role in this session."
        return (
            f"All {len(busy)} certified trainers who are available are busy with other sessions "
            f"or at their monthly limit ({_names(busy)})."
        )
    if role == CO_FACILITATOR and session.supervised:
        has_lead = any(a.session == session.id and a.role == LEAD for a in assignments)
        if not has_lead and all(rules.is_candidate(t, session) for t in free):
            return (
                "Only co-facilitator-level trainers are free, and the session has no lead to "
                "supervise them."
            )
    return (
        f"{_names(free)} could take it, but each is needed more elsewhere: taking it would "
        f"leave another role empty or break a limit."
    )


def why_not(
    problem: Problem, assignments: list[Assignment], session_id: int, role: str, trainer_id: int
) -> str:
    """Why ``trainer`` does not have ``role`` in ``session`` in this plan, in words."""
    session = next((s for s in problem.sessions if s.id == session_id), None)
    trainer = next((t for t in problem.trainers if t.id == trainer_id), None)
    if session is None or trainer is None:
        return "That session or trainer is not part of this plan."
    if any(
        a.session == session_id and a.role == role and a.trainer == trainer_id for a in assignments
    ):
        return f"{trainer.name} is the {ROLE_WORDS[role]} in this plan."
    refused = rules.refusal(problem, trainer, session, role)
    if refused:
        return refused
    others = [a for a in assignments if a.trainer != trainer_id]
    mine = [a for a in assignments if a.trainer == trainer_id]
    diary = diary_of(problem, mine)
    clash = diary.conflict(trainer, session)
    if clash:
        return clash
    needs_lead = (
        role == CO_FACILITATOR and session.supervised and rules.is_candidate(trainer, session)
    )
    if needs_lead and not any(a.session == session_id and a.role == LEAD for a in assignments):
        return f"{trainer.name} needs a lead to supervise them, and the session has none."
    chosen = [a for a in others if a.session == session_id and a.role == role]
    if not chosen:
        return f"{trainer.name} could take it; the plan leaves it empty to fill another role."
    trainers = {t.id: t for t in problem.trainers}
    names = _names([trainers[a.trainer] for a in chosen if a.trainer in trainers])
    mine_cost = rules.seat_cost(trainer, session)
    their_cost = min(rules.seat_cost(trainers[a.trainer], session) for a in chosen)
    if their_cost < mine_cost:
        return (
            f"{trainer.name} could take it, but {names} costs less here "
            f"({their_cost / 100:.2f} against {mine_cost / 100:.2f})."
        )
    load = sum(s.minutes for s in diary.sessions[trainer.id])
    return (
        f"{trainer.name} could take it; the plan gives it to {names} to balance the load "
        f"({trainer.name} already has {load / 60:.1f} hours) or to keep earlier assignments."
    )
