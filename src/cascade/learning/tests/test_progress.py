"""Where a person stands on a path: the pure path_state function."""

from __future__ import annotations

from datetime import date

from cascade.learning.progress import PathState, StepInfo, path_state

START = date(2026, 3, 2)


def step(
    pk: int,
    *,
    required: bool = True,
    due: int | None = None,
    after: tuple[int, ...] = (),
    kind: str = "lesson",
) -> StepInfo:
    return StepInfo(
        id=pk,
        title=f"Step {pk}",
        kind=kind,
        required=required,
        due_offset_days=due,
        prerequisite_ids=after,
    )


def state(
    steps: list[StepInfo],
    status: dict[int, str] | None = None,
    *,
    today: date = START,
    start: date | None = START,
) -> PathState:
    return path_state(steps, status or {}, start=start, today=today)


# --- locks ----------------------------------------------------------------------------------


def test_steps_without_prerequisites_are_unlocked():
    path = state([step(1), step(2)])
    assert [(s.unlocked, s.waiting_on) for s in path.steps] == [(True, []), (True, [])]


def test_a_step_is_locked_until_every_prerequisite_is_completed():
    steps = [step(1), step(2), step(3, after=(1, 2))]
    assert state(steps).steps[2].waiting_on == [1, 2]
    assert state(steps, {1: "completed"}).steps[2].waiting_on == [2]
    assert state(steps, {1: "completed"}).steps[2].unlocked is False
    assert state(steps, {1: "completed", 2: "completed"}).steps[2].unlocked is True


def test_a_submitted_or_failed_prerequisite_still_locks():
    steps = [step(1), step(2, after=(1,))]
    for status in ("in_progress", "submitted", "failed", "not_started"):
        assert state(steps, {1: status}).steps[1].unlocked is False


def test_statuses_default_to_not_started():
    path = state([step(1), step(2)], {2: "in_progress"})
    assert [s.status for s in path.steps] == ["not_started", "in_progress"]


# --- due dates ------------------------------------------------------------------------------


def test_due_date_is_the_start_plus_the_offset():
    path = state([step(1, due=0), step(2, due=7), step(3)])
    assert [s.due for s in path.steps] == [date(2026, 3, 2), date(2026, 3, 9), None]


def test_no_start_date_means_no_due_dates():
    path = state([step(1, due=7)], start=None, today=date(2030, 1, 1))
    assert (path.steps[0].due, path.steps[0].overdue) == (None, False)


def test_overdue_only_after_the_due_day_and_only_when_not_done_or_handed_in():
    steps = [step(1, due=7)]
    assert state(steps, today=date(2026, 3, 9)).steps[0].overdue is False  # due today
    assert state(steps, today=date(2026, 3, 10)).steps[0].overdue is True
    for status in ("in_progress", "failed"):
        assert state(steps, {1: status}, today=date(2026, 3, 10)).steps[0].overdue is True
    for status in ("completed", "submitted"):  # handed in on time: waiting is not lateness
        assert state(steps, {1: status}, today=date(2026, 3, 10)).steps[0].overdue is False


def test_overdue_count_counts_late_unfinished_steps():
    steps = [step(1, due=1), step(2, due=2), step(3, due=30), step(4)]
    path = state(steps, {1: "completed"}, today=date(2026, 3, 20))
    assert [s.overdue for s in path.steps] == [False, True, False, False]
    assert path.overdue_count == 1


# --- next step ------------------------------------------------------------------------------


def test_next_step_is_the_first_unlocked_unfinished_required_step():
    steps = [step(1), step(2, after=(1,)), step(3)]
    assert state(steps).next_step.step.id == 1
    assert state(steps, {1: "completed"}).next_step.step.id == 2


def test_next_step_skips_locked_and_submitted_steps():
    steps = [step(1), step(2, after=(1,)), step(3)]
    assert state(steps, {1: "submitted"}).next_step.step.id == 3


def test_next_step_prefers_a_required_step_over_an_earlier_optional_one():
    steps = [step(1, required=False), step(2)]
    assert state(steps).next_step.step.id == 2


def test_next_step_falls_back_to_an_optional_step():
    steps = [step(1), step(2, required=False)]
    assert state(steps, {1: "completed"}).next_step.step.id == 2


def test_next_step_is_none_when_everything_is_done_or_waiting():
    steps = [step(1), step(2, required=False)]
    assert state(steps, {1: "completed", 2: "completed"}).next_step is None
    assert state(steps, {1: "submitted", 2: "completed"}).next_step is None


# --- completion -----------------------------------------------------------------------------


def test_percent_counts_required_steps_only():
    steps = [step(1), step(2), step(3, required=False), step(4), step(5)]
    path = state(steps, {1: "completed", 3: "completed", 4: "submitted"})
    assert (path.required_total, path.required_done, path.percent) == (4, 1, 25)
    assert path.complete is False


def test_an_optional_step_left_undone_does_not_stop_completion():
    steps = [step(1), step(2, required=False)]
    path = state(steps, {1: "completed"})
    assert (path.percent, path.complete) == (100, True)


def test_percent_rounds_to_a_whole_number():
    steps = [step(1), step(2), step(3)]
    assert state(steps, {1: "completed"}).percent == 33
    assert state(steps, {1: "completed", 2: "completed"}).percent == 67


def test_an_empty_path_is_100_percent_and_complete():
    path = state([])
    assert (path.steps, path.next_step, path.percent, path.complete) == ([], None, 100, True)


def test_a_path_of_optional_steps_only_is_complete():
    path = state([step(1, required=False)])
    assert (path.required_total, path.percent, path.complete) == (0, 100, True)
    assert path.next_step.step.id == 1


def test_progress_on_steps_outside_the_path_is_ignored():
    path = state([step(1)], {99: "completed"})
    assert (path.required_done, path.percent) == (0, 0)
