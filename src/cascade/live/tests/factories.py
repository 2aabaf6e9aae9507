"""Builders for live-room tests: a running session with a trainer and enrolled learners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from cascade.delivery.models import Session
from cascade.delivery.services.enrolment import session_enrol
from cascade.delivery.services.sessions import staff_assign
from cascade.delivery.tests.factories import make_session
from cascade.live import services
from cascade.live.models import Room
from cascade.people.models import Person
from cascade.people.tests.factories import PersonFactory


@dataclass
class Running:
    session: Session
    room: Room
    trainer: Person
    learners: list[Person]
    outsider: Person


def running_room(pm: Any, *, learners: int = 3, names: list[str] | None = None) -> Running:
    """A session that started ten minutes ago: enrol people before it starts, then travel to it
    (the caller's clock is moved with ``time_machine``; see :func:`during`)."""
    start = (timezone.now() + timedelta(minutes=20)).replace(second=0, microsecond=0)
    session = make_session(pm, capacity=30, starts_at=start, hours=2, title="Questioning skills")
    trainer = PersonFactory(roles=["trainer"], display_name="Tomas Trainer")
    staff_assign(session=session, person=trainer, role="lead", actor=pm)
    names = names or [f"Learner {i}" for i in range(learners)]
    people = [PersonFactory(roles=["learner"], display_name=n) for n in names]
    for person in people:
        session_enrol(session=session, person=person, actor=person)
    outsider = PersonFactory(roles=["learner"], display_name="Otto Outsider")
    session.refresh_from_db()
    return Running(session, services.room_for(session), trainer, people, outsider)


def during(run: Running, minutes: int = 10) -> time_machine.travel:
    """Travel to ``minutes`` after the session starts (ticking)."""
    assert run.session.starts_at is not None
    return time_machine.travel(run.session.starts_at + timedelta(minutes=minutes), tick=True)
