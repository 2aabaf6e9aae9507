"""A real ASGI server (uvicorn, in a thread of the test process) for the live room's browser
tests: Django's live_server speaks only HTTP, and the room needs WebSockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from cascade.people.tests.factories import TEST_PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any) -> Iterator[str]:
    """The base URL of uvicorn serving Cascade (HTTP and WebSockets) against the test database."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    from cascade.asgi import build_application

    port = _free_port()
    config = uvicorn.Config(
        build_application(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def sign_in(asgi_server: str) -> Callable[[Any, str], None]:
    """Sign in through the real form on the ASGI server."""

    def do(page: Any, email: str) -> None:
        page.goto(f"{asgi_server}/account/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")

    return do
