"""Reminders before each part of a session: due at the lead time, to the people who hold a place
or teach, once per part and start time; and the cron command that sends them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from cascade.core.models import Notification
from cascade.delivery.models import Session, StaffRole
from cascade.delivery.services import enrolment
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.reminders import reminders_send
from cascade.delivery.services.sessions import SessionDetails
from cascade.delivery.tests.factories import in_days, make_session
from cascade.people.models import Role

pytestmark = pytest.mark.django_db(transaction=False)

PLANNED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STARTS = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
LEAD = timedelta(hours=24)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(PLANNED, tick=False):
        yield


def reminded() -> list[tuple[str, str]]:
    """(recipient email, dedupe key) of every reminder sent, in a stable order."""
    return sorted(
        Notification.objects.filter(dedupe_key__startswith="reminder:").values_list(
            "recipient__email", "dedupe_key"
        )
    )


def key(session: Session) -> str:
    slot = session.slots.get(cancelled=False)
    return f"reminder:{slot.pk}:{int(slot.starts_at.timestamp())}"


@pytest.fixture
def world(make_person: Any, program_manager: Any) -> dict[str, Any]:
    """A session with two places held, one given up, one in the queue and a lead trainer."""
    session = make_session(program_manager, capacity=2, starts_at=STARTS, hours=3)
    people = {
        name: make_person(Role.LEARNER, email=f"{name}@example.org")
        for name in ("ada", "bo", "cy", "di")
    }
    enrolment.session_enrol(session=session, person=people["ada"], actor=people["ada"])
    given_up = enrolment.session_enrol(session=session, person=people["cy"], actor=people["cy"])
    enrolment.booking_cancel(booking=given_up, actor=people["cy"])
    enrolment.session_enrol(session=session, person=people["bo"], actor=people["bo"])
    queued = enrolment.session_enrol(session=session, person=people["di"], actor=people["di"])
    assert queued.status == "waitlisted"
    trainer = make_person(Role.TRAINER, email="tam@example.org")
    session_services.staff_assign(
        session=session, person=trainer, role=StaffRole.LEAD, actor=program_manager
    )
    return {"session": session, **people, "trainer": trainer}


def test_nothing_is_sent_before_the_lead_time(world):
    with time_machine.travel(STARTS - LEAD - timedelta(seconds=1), tick=False):
        sent = reminders_send()
    assert sent == 0
    assert reminded() == []


def test_sent_once_at_lead_time_to_places_and_staff(world):
    with time_machine.travel(STARTS - LEAD, tick=False):
        sent = reminders_send()
        again = reminders_send()

    expected = key(world["session"])
    assert (sent, again) == (3, 0)
    assert reminded() == [
        ("ada@example.org", expected),
        ("bo@example.org", expected),
        ("tam@example.org", expected),
    ]
    note = Notification.objects.get(recipient=world["ada"], dedupe_key=expected)
    assert note.title == f"Reminder: {world['session'].title} starts soon"
    assert note.body == "Starts Tue 10 Mar 2026, 09:00 UTC."
    assert note.url == f"/sessions/{world['session'].pk}/"


def test_a_later_run_after_sending_sends_nothing(world):
    with time_machine.travel(STARTS - LEAD, tick=False):
        reminders_send()
    with time_machine.travel(STARTS - timedelta(hours=1), tick=False):
        assert reminders_send() == 0
    assert len(reminded()) == 3


def test_moving_the_session_earns_a_new_reminder(world, program_manager):
    session = world["session"]
    with time_machine.travel(STARTS - LEAD, tick=False):
        reminders_send()
        old_key = key(session)
        moved = STARTS + timedelta(hours=2)
        session_services.session_update(
            session=session,
            details=SessionDetails(
                title=session.title,
                capacity=session.capacity,
                slots=[(moved, moved + timedelta(hours=3))],
                venue=session.venue,
            ),
            actor=program_manager,
        )
        assert reminders_send() == 0  # the new time's reminder is not due yet

    with time_machine.travel(moved - LEAD, tick=False):
        sent = reminders_send()

    new_key = key(session)
    assert new_key != old_key
    assert sent == 3
    assert reminded() == sorted(
        (email, k)
        for email in ("ada@example.org", "bo@example.org", "tam@example.org")
        for k in (old_key, new_key)
    )


def test_a_cancelled_session_sends_none(world, program_manager):
    session_services.session_cancel(
        session=world["session"], actor=program_manager, reason="Venue flooded"
    )
    with time_machine.travel(STARTS - LEAD, tick=False):
        sent = reminders_send()
    assert sent == 0
    assert reminded() == []


def test_a_cancelled_part_sends_none_but_the_others_do(make_person, program_manager):
    session = make_session(
        program_manager,
        slots=[(STARTS, STARTS + timedelta(hours=3)), (STARTS + LEAD, STARTS + LEAD * 1.125)],
    )
    learner = make_person(Role.LEARNER, email="eve@example.org")
    enrolment.session_enrol(session=session, person=learner, actor=learner)
    _first, second = session.slots.order_by("starts_at")
    session_services.session_update(
        session=session,
        details=SessionDetails(
            title=session.title,
            capacity=session.capacity,
            slots=[(second.starts_at, second.ends_at)],
            venue=session.venue,
        ),
        actor=program_manager,
    )

    with time_machine.travel(STARTS - timedelta(hours=1), tick=False):
        sent_for_the_cancelled_part = reminders_send()
    with time_machine.travel(STARTS + timedelta(hours=1), tick=False):
        sent_for_the_second_part = reminders_send()

    assert (sent_for_the_cancelled_part, sent_for_the_second_part) == (0, 1)
    assert reminded() == [
        ("eve@example.org", f"reminder:{second.pk}:{int(second.starts_at.timestamp())}")
    ]


def test_the_command_says_how_many_were_sent(world):
    out = StringIO()
    with time_machine.travel(STARTS - LEAD, tick=False):
        call_command("reminders", stdout=out)
        call_command("reminders", stdout=out)

    assert out.getvalue() == "Sent 3 reminders.\nSent 0 reminders.\n"
    assert len(reminded()) == 3


def test_opening_a_session_defers_one_sweep_per_part_and_enrolling_adds_none(
    settings, program_manager, make_person, django_capture_on_commit_callbacks
):
    """With the database task backend (as `serve` runs it), the worker is asked to sweep when
    each part's reminder falls due; enrolling weeks ahead queues nothing more."""
    from datetime import timedelta as td

    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    start = in_days(10)
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(
            program_manager,
            slots=[(start, start + td(hours=3)), (start + td(days=1), start + td(days=1, hours=3))],
            reminder_lead_hours=24,
        )
    sweeps = DBTaskResult.objects.filter(task_path="cascade.delivery.tasks.session_reminders_send")
    assert sorted(r.run_after for r in sweeps) == [start - td(hours=24), start]
    learner = make_person(Role.LEARNER)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.session_enrol(session=session, person=learner, actor=learner)
    assert sweeps.count() == 2
