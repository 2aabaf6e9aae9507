"""The live room's WebSocket: push only. Screens receive a snapshot when they connect (so a
reconnecting screen catches up) and then every changed slice; actions go through ordinary
HTTP POSTs (CSRF-protected, rate limited), so there is one path for every write."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cascade.delivery.models import Session
from cascade.live import realtime, rules, selectors, services


class RoomConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        session_pk = int(self.scope["url_route"]["kwargs"]["session_pk"])
        allowed = await self._allowed(user, session_pk)
        if allowed is None:
            await self.close(code=4403)
            return
        room_id, host = allowed
        await self.accept()
        self.groups_joined = [realtime.group(room_id, host=host)]
        for name in self.groups_joined:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.send_json({"type": "snapshot", "data": await self._snapshot(room_id, host)})

    @database_sync_to_async
    def _allowed(self, user: Any, session_pk: int) -> tuple[int, bool] | None:
        if user is None or not user.is_authenticated:
            return None
        session = Session.objects.filter(pk=session_pk).first()
        if session is None or not rules.can_join(user, session):
            return None
        room = services.room_for(session)
        host = rules.can_host(user, session)
        services.presence_touch(room=room, person=user)
        return room.pk, host

    @database_sync_to_async
    def _snapshot(self, room_id: int, host: bool) -> dict[str, Any]:
        from cascade.live.models import Room

        room = Room.objects.select_related("session").get(pk=room_id)
        return selectors.snapshot(room, self.scope["user"], host=host)

    async def disconnect(self, code: int) -> None:
        for name in self.groups_joined:
            await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Keep-alive only; writes go through HTTP.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def room_slice(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "slice", "slice": event["slice"], "data": event["data"]})
