"""WebSocket routes of the live room."""

from __future__ import annotations

from django.urls import path

from cascade.live.consumers import RoomConsumer

websocket_urlpatterns = [path("ws/live/<int:session_pk>/", RoomConsumer.as_asgi())]
