"""Builders for delivery tests: a course, a venue and an open session starting in a few days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cascade.delivery.models import Course, Modality, Session, Venue
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.sessions import SessionDetails
from cascade.people.models import Person

_counter = iter(range(1, 10**9))


def make_course(**kw: Any) -> Course:
    n = next(_counter)
    fields: dict[str, Any] = {
        "title": f"Safe patient handling {n}",
        "slug": f"safe-handling-{n}",
        "summary": "Moving patients without hurting them or yourself.",
        "duration_minutes": 180,
    }
    fields.update(kw)
    return Course.objects.create(**fields)


def make_venue(**kw: Any) -> Venue:
    n = next(_counter)
    fields: dict[str, Any] = {
        "name": f"Training room {n}",
        "address": "1 Hospital Road",
        "region": "North",
        "capacity": 30,
    }
    fields.update(kw)
    return Venue.objects.create(**fields)


def in_days(days: float, hour: int = 9) -> datetime:
    base = (timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return base


def make_session(
    actor: Person,
    *,
    course: Course | None = None,
    capacity: int = 10,
    starts_at: datetime | None = None,
    hours: float = 3,
    slots: list[tuple[datetime, datetime]] | None = None,
    venue: Venue | None = None,
    modality: str = Modality.IN_PERSON,
    publish: bool = True,
    **details: Any,
) -> Session:
    """An (open, by default) session of ``course`` at a fresh venue, in three days' time."""
    course = course or make_course()
    if slots is None:
        start = starts_at or in_days(3)
        slots = [(start, start + timedelta(hours=hours))]
    if modality != Modality.VIRTUAL and venue is None:
        venue = make_venue(capacity=max(capacity, 30))
    if modality != Modality.IN_PERSON:
        details.setdefault("join_url", "https://meet.example.org/room-1")
    session = session_services.session_create(
        details=SessionDetails(
            title=details.pop("title", course.title),
            capacity=capacity,
            slots=slots,
            modality=modality,
            venue=venue,
            **details,
        ),
        course=course,
        actor=actor,
    )
    if publish:
        session = session_services.session_publish(session=session, actor=actor)
    return session
