"""Shared test fixtures: fast hashing, people of every role, and a real Chromium with axe."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
TEST_PASSWORD = "pass-word-123"  # noqa: S105 - the factories' test password
SCREENSHOTS = Path(settings.PROJECT_DIR) / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = True
    # The live server serves static files from the finders, so tests use unhashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


# --- People of every role -------------------------------------------------------------------


@pytest.fixture
def make_person(db: None) -> Callable[..., Any]:
    from cascade.people.tests.factories import PersonFactory

    def make(*roles: str, **kwargs: Any) -> Any:
        return PersonFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def program_manager(make_person: Callable[..., Any]) -> Any:
    return make_person("program_manager", display_name="Pat Manager", email="pm@example.org")


@pytest.fixture
def learner(make_person: Callable[..., Any]) -> Any:
    return make_person("learner", display_name="Lee Learner", email="learner@example.org")


# --- Browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = {**browser_type_launch_args}
    if os.path.exists(CHROMIUM):
        args["executable_path"] = CHROMIUM
        args["args"] = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
    return args


@pytest.fixture
def axe_check() -> Callable[[Any], None]:
    """Run axe-core on the page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Any) -> None:
        results = axe.run(page)
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        assert not bad, "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in bad
        )

    return check


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under var/screenshots/ for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def login(live_server: Any) -> Callable[[Any, str, str], None]:
    """Sign in through the real form, as a person would."""

    def do_login(page: Any, email: str, password: str = TEST_PASSWORD) -> None:
        page.goto(f"{live_server.url}/account/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")

    return do_login
