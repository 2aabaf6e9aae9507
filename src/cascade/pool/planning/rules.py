"""The hard rules of staffing, shared by the optimiser, the greedy baseline and the
explanations so that all three agree on what is allowed: who may take a role (certified at the
level, language, modality, available for every slot, not forbidden) and which sessions clash
for one person (overlapping, or in different places with less than the travel buffer between).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from cascade.pool.planning.types import (
    CO_FACILITATOR,
    LEAD,
    LEVEL_RANK,
    Problem,
    SessionIn,
    TrainerIn,
)

LEVEL_WORDS = {"co_facilitator": "co-facilitator", "certified": "certified", "master": "master"}
MODALITY_WORDS = {"in_person": "in-person", "virtual": "virtual", "hybrid": "hybrid"}


def needed_level(session: SessionIn, role: str) -> str:
    return session.lead_level if role == LEAD else "co_facilitator"


def certified_for(trainer: TrainerIn, session: SessionIn, role: str) -> bool:
    held = trainer.certifications.get(session.course)
    return held is not None and LEVEL_RANK[held] >= LEVEL_RANK[needed_level(session, role)]


def is_candidate(trainer: TrainerIn, session: SessionIn) -> bool:
    """Holds only the co-facilitator level for the session's course (needs supervision)."""
    return trainer.certifications.get(session.course) == "co_facilitator"


def available_for(trainer: TrainerIn, session: SessionIn) -> bool:
    """Every slot of the session lies inside one of the trainer's availability windows."""
    return all(
        any(window.start <= slot.start and slot.end <= window.end for window in trainer.available)
        for slot in session.slots
    )


def refusal(problem: Problem, trainer: TrainerIn, session: SessionIn, role: str) -> str | None:
    """Why ``trainer`` may not take ``role`` in ``session`` whatever else happens, in words;
    None when they may."""
    if (session.id, trainer.id) in problem.forbidden:
        return f"{trainer.name} is excluded from this session."
    if not certified_for(trainer, session, role):
        held = trainer.certifications.get(session.course)
        need = LEVEL_WORDS[needed_level(session, role)]
        if held is None:
            return f"{trainer.name} is not certified for this course."
        return f"{trainer.name} is {LEVEL_WORDS[held]} for this course; the role needs {need}."
    if session.language not in trainer.languages:
        return f"{trainer.name} does not deliver in {session.language}."
    if session.modality not in trainer.modalities:
        words = MODALITY_WORDS.get(session.modality, session.modality)
        return f"{trainer.name} does not deliver {words} sessions."
    if not available_for(trainer, session):
        return f"{trainer.name} is not available at that time."
    return None


def slots_clash(a: SessionIn, b: SessionIn, buffer: int) -> bool:
    """One person cannot do both: a slot of one overlaps a slot of the other, or they are in
    different places with less than ``buffer`` minutes between them."""
    travel = a.place is not None and b.place is not None and a.place != b.place
    gap = buffer if travel else 0
    return any(
        sa.start < sb.end + gap and sb.start < sa.end + gap for sa in a.slots for sb in b.slots
    )


@dataclass(frozen=True)
class Eligibility:
    """Who may take which role where: ``by_session[(session, role)]`` lists trainer ids,
    ``by_trainer[trainer]`` the sessions they are eligible for in any role."""

    by_seat: dict[tuple[int, str], list[int]]
    by_trainer: dict[int, list[int]]


def eligibility(problem: Problem) -> Eligibility:
    by_seat: dict[tuple[int, str], list[int]] = {}
    by_trainer: dict[int, set[int]] = {t.id: set() for t in problem.trainers}
    forbidden = frozenset(problem.forbidden)
    # Index trainers by course so each session looks only at those certified for it.
    by_course: dict[int, list[TrainerIn]] = {}
    for trainer in problem.trainers:
        for course in trainer.certifications:
            by_course.setdefault(course, []).append(trainer)
    for session in problem.sessions:
        for role in (LEAD, CO_FACILITATOR):
            if (session.leads if role == LEAD else session.co_facilitators) == 0:
                continue
            ids = [
                t.id
                for t in by_course.get(session.course, [])
                if (session.id, t.id) not in forbidden
                and certified_for(t, session, role)
                and session.language in t.languages
                and session.modality in t.modalities
                and available_for(t, session)
            ]
            by_seat[(session.id, role)] = ids
            for tid in ids:
                by_trainer[tid].add(session.id)
    return Eligibility(by_seat, {t: sorted(s) for t, s in by_trainer.items()})


def clash_groups(sessions: list[SessionIn], buffer: int) -> list[list[int]]:
    """Groups of sessions of which one person can do at most one: the sessions running at
    each slot's start (cliques of overlapping sessions) and every pair too close for the
    travel between their places. Covers every clashing pair, without duplicates; computed
    once for all sessions, then each trainer's model keeps the part they are eligible for."""
    if not sessions:
        return []
    intervals = sorted(
        ((slot.start, slot.end, s.id) for s in sessions for slot in s.slots), key=lambda i: i[0]
    )
    starts = [i[0] for i in intervals]
    groups: set[tuple[int, ...]] = set()
    longest = max(end - start for start, end, _ in intervals)
    for point in sorted(set(starts)):
        # Intervals that contain ``point``: they start at or before it (and, at most the
        # longest interval earlier) and end after it.
        lo = bisect.bisect_left(starts, point - longest)
        hi = bisect.bisect_right(starts, point)
        members = {sid for start, end, sid in intervals[lo:hi] if start <= point < end}
        if len(members) > 1:
            groups.add(tuple(sorted(members)))
    by_id = {s.id: s for s in sessions}
    placed = sorted(
        ((slot.start, slot.end, s.id) for s in sessions if s.place is not None for slot in s.slots),
        key=lambda i: i[0],
    )
    placed_starts = [i[0] for i in placed]
    for start, end, sid in placed:
        # Sessions starting before this one ends plus the buffer: candidates for a travel clash.
        hi = bisect.bisect_right(placed_starts, end + buffer)
        lo = bisect.bisect_left(placed_starts, start - longest - buffer)
        for other_start, other_end, oid in placed[lo:hi]:
            if oid == sid or by_id[oid].place == by_id[sid].place:
                continue
            overlap = other_start < end and start < other_end
            if not overlap and other_start < end + buffer and start < other_end + buffer:
                groups.add(tuple(sorted((sid, oid))))
    return sorted(list(g) for g in groups)


def seat_cost(trainer: TrainerIn, session: SessionIn) -> int:
    """Cents: the trainer's rate for the session's hours plus travel to its region."""
    return trainer.rate_cents * session.minutes // 60 + trainer.travel_to(session.region)


class Diary:
    """What each trainer has taken so far: sessions, and minutes per month; answers whether
    one more session fits."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.sessions: dict[int, list[SessionIn]] = defaultdict(list)
        self.minutes: dict[tuple[int, str], int] = defaultdict(int)

    def conflict(self, trainer: TrainerIn, session: SessionIn) -> str | None:
        for other in self.sessions[trainer.id]:
            if other.id == session.id:
                return f"{trainer.name} already has a role in this session."
            if slots_clash(other, session, self.problem.travel_buffer):
                return f"{trainer.name} is busy with session {other.id} at that time."
        cap = trainer.max_minutes
        if cap is not None and self.minutes[(trainer.id, session.month)] + session.minutes > cap:
            return f"{trainer.name} would go over their monthly limit of {cap // 60} hours."
        return None

    def take(self, trainer: TrainerIn, session: SessionIn) -> None:
        self.sessions[trainer.id].append(session)
        self.minutes[(trainer.id, session.month)] += session.minutes
