"""Who may join a session's live room and who runs it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from cascade.delivery import rules as delivery_rules
from cascade.delivery.models import Booking, Session
from cascade.live.models import Room
from cascade.people.models import Person

# The room opens a little before the first part and stays open a little after the last one.
OPEN_BEFORE = timedelta(minutes=30)
OPEN_AFTER = timedelta(minutes=30)


def can_host(viewer: Person, session: Session) -> bool:
    """Moderate questions, run polls, see names and the participation panel: the session's
    trainers and the people who manage it."""
    return delivery_rules.can_see_roster(viewer, session)


def can_join(viewer: Person, session: Session) -> bool:
    """People enrolled in the session, and those who host it."""
    if not viewer.is_active:
        return False
    if can_host(viewer, session):
        return True
    return Booking.objects.filter(
        session=session, person=viewer, status=Booking.Status.ENROLLED
    ).exists()


def room_is_open(room: Room, *, now: datetime | None = None) -> bool:
    """Open while the session runs (with some slack either side), unless closed early."""
    session = room.session
    if room.closed_at is not None or session.status != Session.Status.OPEN:
        return False
    if session.starts_at is None or session.ends_at is None:
        return False
    now = now or timezone.now()
    return session.starts_at - OPEN_BEFORE <= now <= session.ends_at + OPEN_AFTER
