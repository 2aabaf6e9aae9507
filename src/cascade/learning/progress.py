"""Where a person stands on a path: pure functions over plain data, no ORM.

Given the steps of a version (with prerequisites), a person's progress rows and the cohort's
start date, compute each step's status, whether it is unlocked, its due date and whether it is
overdue, the next step to do and the completion percentage. Views, the cohort dashboard and the
API all use this one function, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

DONE = "completed"


@dataclass(frozen=True)
class StepInfo:
    id: int
    title: str
    kind: str
    required: bool
    due_offset_days: int | None
    prerequisite_ids: tuple[int, ...] = ()
    module_id: int | None = None


@dataclass
class StepState:
    step: StepInfo
    status: str  # not_started | in_progress | submitted | completed | failed
    unlocked: bool
    due: date | None
    overdue: bool
    waiting_on: list[int] = field(default_factory=list)


@dataclass
class PathState:
    steps: list[StepState]
    next_step: StepState | None
    required_total: int
    required_done: int

    @property
    def percent(self) -> int:
        if not self.required_total:
            return 100
        return round(100 * self.required_done / self.required_total)

    @property
    def complete(self) -> bool:
        return self.required_done == self.required_total

    @property
    def overdue_count(self) -> int:
        """Required steps past their due date: what makes someone "behind"."""
        return sum(1 for s in self.steps if s.overdue and s.step.required)


def path_state(
    steps: list[StepInfo],
    status_by_step: dict[int, str],
    *,
    start: date | None,
    today: date,
) -> PathState:
    """Compute the state of every step, in path order."""
    states: list[StepState] = []
    for step in steps:
        status = status_by_step.get(step.id, "not_started")
        waiting = [p for p in step.prerequisite_ids if status_by_step.get(p) != DONE]
        due = (
            start + timedelta(days=step.due_offset_days)
            if (start is not None and step.due_offset_days is not None)
            else None
        )
        # Work handed in on time and waiting for review is not the candidate's delay.
        overdue = due is not None and status not in (DONE, "submitted") and today > due
        states.append(
            StepState(
                step=step,
                status=status,
                unlocked=not waiting,
                due=due,
                overdue=overdue,
                waiting_on=waiting,
            )
        )
    # Next: the first unlocked, unfinished required step; else the first unlocked optional one.
    candidates = [s for s in states if s.unlocked and s.status not in (DONE, "submitted")]
    next_step = next((s for s in candidates if s.step.required), None) or next(
        iter(candidates), None
    )
    required = [s for s in states if s.step.required]
    return PathState(
        steps=states,
        next_step=next_step,
        required_total=len(required),
        required_done=sum(1 for s in required if s.status == DONE),
    )
