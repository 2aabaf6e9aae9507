"""The application `bench enrol` serves: Django's ASGI application behind an admission gate.

Django's ASGI handler runs each request's sync code in a thread of its own, with a database
connection of its own, so one worker process with 200 requests in flight holds 200 connections:
far past PostgreSQL's default ``max_connections`` of 100 ("too many clients"), and on SQLite 200
writers polling one lock. A connection pool would bound that (settings have none yet), so the
benchmark bounds it here instead: at most ``CASCADE_BENCH_MAX_IN_FLIGHT`` requests per worker
are inside Django at a time, the others wait their turn on the open socket, as they would for a
pooled connection. 0 (or unset) admits everything, which is what plain ``serve`` does today.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from cascade.asgi import application as django_application

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_IN_FLIGHT = int(os.environ.get("CASCADE_BENCH_MAX_IN_FLIGHT", "0") or 0)
_gate: asyncio.Semaphore | None = None


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    global _gate  # one gate per worker process, made in its event loop
    if MAX_IN_FLIGHT <= 0 or scope["type"] != "http":
        await django_application(scope, receive, send)  # type: ignore[arg-type]
        return
    if _gate is None:
        _gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    async with _gate:
        await django_application(scope, receive, send)  # type: ignore[arg-type]
