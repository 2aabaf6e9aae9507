"""Fetch-and-authorise helpers for the live room's views: 404 for anyone who may not be there."""

from __future__ import annotations

from django.http import Http404

from cascade.delivery import selectors as delivery_selectors
from cascade.delivery.models import Session
from cascade.live import rules, services
from cascade.live.models import Poll, Room, RoomQuestion
from cascade.people.models import Person


def session_to_join(viewer: Person, session_pk: int) -> tuple[Session, Room]:
    session = delivery_selectors.session_detail(session_pk)
    if session is None or not rules.can_join(viewer, session):
        raise Http404
    return session, services.room_for(session)


def session_to_host(viewer: Person, session_pk: int) -> tuple[Session, Room]:
    session = delivery_selectors.session_detail(session_pk)
    if session is None or not rules.can_host(viewer, session):
        raise Http404
    return session, services.room_for(session)


def question_in(room: Room, pk: int) -> RoomQuestion:
    question = RoomQuestion.objects.select_related("room__session").filter(pk=pk, room=room).first()
    if question is None:
        raise Http404
    return question


def poll_in(room: Room, pk: int) -> Poll:
    poll = Poll.objects.select_related("room__session").filter(pk=pk, room=room).first()
    if poll is None:
        raise Http404
    return poll
