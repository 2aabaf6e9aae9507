"""Pushing the room's state to every connected screen.

Two channel-layer groups per room: learners (``live-<id>``) and hosts (``live-<id>-host``). A
change publishes the changed slice once per audience after the transaction commits, so screens
never see a state the database does not hold. The channel layer is in memory by default and
Redis (``channels-redis``) when ``REDIS_URL`` is set, so several server processes share it.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from cascade.live.models import Poll, Room


def group(room_id: int, *, host: bool) -> str:
    return f"live-{room_id}-host" if host else f"live-{room_id}"


def _send(room_id: int, slice_name: str, data: Any, *, host: bool) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        group(room_id, host=host), {"type": "room.slice", "slice": slice_name, "data": data}
    )


def _publish(room: Room, slice_name: str, *, learners: bool = True) -> None:
    def send() -> None:
        from cascade.live import selectors

        fresh = Room.objects.select_related("session").get(pk=room.pk)
        builders = {
            "questions": lambda host: selectors.questions_slice(fresh, host=host),
            "poll": lambda host: selectors.poll_slice(fresh, host=host),
            "pace": lambda host: selectors.pace_slice(fresh),
            "participation": lambda host: selectors.participation_slice(fresh),
            "room": lambda host: selectors.room_slice(fresh),
        }
        build = builders[slice_name]
        _send(room.pk, slice_name, build(True), host=True)
        if learners:
            _send(room.pk, slice_name, build(False), host=False)

    transaction.on_commit(send)


def publish_questions(room: Room) -> None:
    _publish(room, "questions")


def publish_poll(room: Room) -> None:
    _publish(room, "poll")


def publish_poll_results(poll: Poll) -> None:
    # Learners see results only once revealed; until then they only need the response count,
    # which the poll slice carries too.
    _publish(poll.room, "poll")


def publish_pace(room: Room) -> None:
    _publish(room, "pace", learners=False)


def publish_participation(room: Room) -> None:
    _publish(room, "participation", learners=False)


def publish_room(room: Room) -> None:
    _publish(room, "room")
