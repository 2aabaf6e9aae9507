"""Clashes by time with a travel buffer: the pure module (examples, and a property test against
the obvious all-pairs check), then the services that refuse a clashing trainer or venue."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cascade.core.errors import ApplicationError
from cascade.delivery.clashes import Busy, Clash, clash_between, find_clashes
from cascade.delivery.models import Modality, Session, SessionStaff, StaffRole
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.sessions import SessionDetails
from cascade.delivery.tests.factories import make_course, make_session, make_venue
from cascade.people.models import Role

HOUR = timedelta(hours=1)
BUFFER = timedelta(minutes=60)


def at(hour: float, day: int = 10) -> datetime:
    return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)


def busy(start: float, end: float, place: int | None = 1, label: str = "") -> Busy:
    return Busy(at(start), at(end), place, label)


# --- The pure module -------------------------------------------------------------------------


def test_overlap_is_a_clash():
    wanted, existing = busy(10, 13), busy(12, 15)
    assert clash_between(wanted, existing, buffer=BUFFER) == Clash(wanted, existing, travel=False)


def test_overlap_is_a_clash_even_online():
    wanted, existing = busy(10, 13, place=None), busy(12, 15, place=None)
    assert clash_between(wanted, existing, buffer=BUFFER) == Clash(wanted, existing, travel=False)


def test_one_inside_the_other_is_a_clash():
    wanted, existing = busy(11, 12), busy(9, 17)
    assert clash_between(wanted, existing, buffer=timedelta(0)) == Clash(
        wanted, existing, travel=False
    )


def test_touching_end_to_start_in_the_same_place_is_no_clash():
    assert clash_between(busy(13, 15), busy(10, 13), buffer=BUFFER) is None
    assert clash_between(busy(10, 13), busy(13, 15), buffer=BUFFER) is None


def test_touching_end_to_start_without_a_buffer_is_no_clash_anywhere():
    assert clash_between(busy(13, 15, place=2), busy(10, 13, place=1), buffer=timedelta(0)) is None


def test_too_little_travel_time_between_two_places_is_a_clash():
    wanted, existing = busy(13.5, 15, place=2), busy(10, 13, place=1)
    assert clash_between(wanted, existing, buffer=BUFFER) == Clash(wanted, existing, travel=True)
    before = busy(8, 9.5, place=2)
    assert clash_between(before, existing, buffer=BUFFER) == Clash(before, existing, travel=True)


def test_exactly_the_travel_time_between_two_places_is_no_clash():
    assert clash_between(busy(14, 15, place=2), busy(10, 13, place=1), buffer=BUFFER) is None
    assert clash_between(busy(8, 9, place=2), busy(10, 13, place=1), buffer=BUFFER) is None


def test_same_place_needs_no_travel_time():
    assert clash_between(busy(13.25, 15, place=1), busy(10, 13, place=1), buffer=BUFFER) is None


def test_online_needs_no_travel_time_either_side():
    assert clash_between(busy(13.25, 15, place=None), busy(10, 13, place=1), buffer=BUFFER) is None
    assert clash_between(busy(13.25, 15, place=2), busy(10, 13, place=None), buffer=BUFFER) is None


def test_find_clashes_lists_every_clash_in_time_order():
    existing = [busy(14, 16, place=1, label="b"), busy(9, 11, place=1, label="a")]
    wanted = [busy(16.5, 18, place=2, label="late"), busy(10, 12, place=1, label="early")]

    clashes = find_clashes(wanted, existing, buffer=BUFFER)

    assert [(c.wanted.label, c.existing.label, c.travel) for c in clashes] == [
        ("early", "a", False),
        ("late", "b", True),
    ]


def test_find_clashes_with_nothing_booked_is_empty():
    assert find_clashes([busy(9, 10)], [], buffer=BUFFER) == []
    assert find_clashes([], [busy(9, 10)], buffer=BUFFER) == []


# Quarter hours over two days, so touching ends, equal gaps and exact buffers come up often.
periods = st.builds(
    lambda start, length, place: Busy(
        at(start / 4), at(start / 4) + timedelta(minutes=15 * length), place
    ),
    st.integers(min_value=0, max_value=4 * 48),
    st.integers(min_value=1, max_value=4 * 8),
    st.sampled_from([None, 1, 2, 3]),
)


@settings(max_examples=400, deadline=None)
@given(
    wanted=st.lists(periods, max_size=8),
    existing=st.lists(periods, max_size=12),
    buffer_minutes=st.sampled_from([0, 15, 30, 60, 120]),
)
def test_find_clashes_agrees_with_checking_every_pair(
    wanted: list[Busy], existing: list[Busy], buffer_minutes: int
) -> None:
    buffer = timedelta(minutes=buffer_minutes)

    swept = find_clashes(wanted, existing, buffer=buffer)

    every_pair = [
        c for w in wanted for e in existing if (c := clash_between(w, e, buffer=buffer)) is not None
    ]
    assert Counter(swept) == Counter(every_pair)
    starts = [c.wanted.starts_at for c in swept]
    assert starts == sorted(starts)


# --- The services that use it ----------------------------------------------------------------


@pytest.fixture
def trainer(make_person: Any) -> Any:
    return make_person(Role.TRAINER, display_name="Tam Trainer")


@pytest.fixture
def _travel_buffer(settings: Any) -> None:
    settings.CASCADE_TRAVEL_BUFFER_MINUTES = 60


def staffed(program_manager: Any, trainer: Any, start: datetime, end: datetime, **kw: Any) -> Any:
    session = make_session(program_manager, slots=[(start, end)], title="Morning course", **kw)
    session_services.staff_assign(
        session=session, person=trainer, role=StaffRole.LEAD, actor=program_manager
    )
    return session


@pytest.mark.django_db
@pytest.mark.usefixtures("_travel_buffer")
def test_staff_assign_refuses_a_trainer_booked_at_an_overlapping_time(program_manager, trainer):
    staffed(program_manager, trainer, at(10, day=20), at(13, day=20))
    other = make_session(program_manager, slots=[(at(12, day=20), at(15, day=20))])

    with pytest.raises(ApplicationError) as exc:
        session_services.staff_assign(
            session=other, person=trainer, role=StaffRole.LEAD, actor=program_manager
        )

    assert exc.value.code == "trainer_clash"
    assert exc.value.message == (
        "Tam Trainer is already booked for “Morning course” at 2026-03-20 10:00."
    )
    assert not SessionStaff.objects.filter(session=other).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("_travel_buffer")
def test_staff_assign_refuses_too_little_travel_time_between_two_venues(program_manager, trainer):
    staffed(program_manager, trainer, at(9, day=20), at(12, day=20))
    elsewhere = make_session(program_manager, slots=[(at(12.5, day=20), at(15, day=20))])

    with pytest.raises(ApplicationError) as exc:
        session_services.staff_assign(
            session=elsewhere, person=trainer, role=StaffRole.LEAD, actor=program_manager
        )

    assert exc.value.code == "trainer_clash"
    assert exc.value.message == (
        "Tam Trainer has “Morning course” at 2026-03-20 09:00 in another place: not enough "
        "time to travel (at least 60 minutes are needed between places)."
    )
    assert not SessionStaff.objects.filter(session=elsewhere).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("_travel_buffer")
def test_staff_assign_accepts_back_to_back_in_one_venue_online_or_with_time_to_travel(
    program_manager, trainer
):
    venue = make_venue()
    staffed(program_manager, trainer, at(9, day=20), at(12, day=20), venue=venue)
    same_venue = make_session(
        program_manager, slots=[(at(12, day=20), at(13, day=20))], venue=venue
    )
    online = make_session(
        program_manager, slots=[(at(13, day=20), at(14, day=20))], modality=Modality.VIRTUAL
    )
    far_enough = make_session(program_manager, slots=[(at(15, day=20), at(16, day=20))])

    for session in (same_venue, online, far_enough):
        session_services.staff_assign(
            session=session, person=trainer, role=StaffRole.LEAD, actor=program_manager
        )

    assert SessionStaff.objects.filter(person=trainer).count() == 4


@pytest.mark.django_db
def test_session_create_refuses_a_venue_clash(program_manager):
    venue = make_venue(name="Riverside Centre")
    make_session(
        program_manager, slots=[(at(10, day=20), at(13, day=20))], venue=venue, title="First"
    )
    before = Session.objects.count()

    with pytest.raises(ApplicationError) as exc:
        session_services.session_create(
            details=SessionDetails(
                title="Second",
                capacity=10,
                slots=[(at(12, day=20), at(14, day=20))],
                venue=venue,
            ),
            course=make_course(),
            actor=program_manager,
        )

    assert exc.value.code == "venue_clash"
    assert exc.value.message == (
        "Riverside Centre is already booked for “First” at 2026-03-20 10:00."
    )
    assert Session.objects.count() == before


@pytest.mark.django_db
def test_session_create_accepts_the_venue_right_after(program_manager):
    venue = make_venue()
    make_session(program_manager, slots=[(at(10, day=20), at(13, day=20))], venue=venue)

    session = session_services.session_create(
        details=SessionDetails(
            title="Afternoon", capacity=10, slots=[(at(13, day=20), at(15, day=20))], venue=venue
        ),
        course=make_course(),
        actor=program_manager,
    )

    assert session.venue == venue
