"""Per-request context: who and where from (for the audit log), and the viewer's time zone."""

from __future__ import annotations

import contextvars
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


@dataclass(frozen=True)
class RequestMeta:
    ip: str
    user_agent: str


_current: contextvars.ContextVar[RequestMeta | None] = contextvars.ContextVar(
    "cascade_request_meta", default=None
)


def current_request_meta() -> RequestMeta | None:
    """Where the current change comes from; None outside a request (commands, tasks)."""
    return _current.get()


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = RequestMeta(
            ip=request.META.get("REMOTE_ADDR", "") or "",
            user_agent=(request.META.get("HTTP_USER_AGENT", "") or "")[:300],
        )
        token = _current.set(meta)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


class UserLocaleMiddleware:
    """Show dates and times in the signed-in person's own time zone and language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tz_name = getattr(user, "time_zone", "") or "UTC"
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            language = getattr(user, "language", "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        return self.get_response(request)
