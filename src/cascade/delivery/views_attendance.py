"""(being written)"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def attendance(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_check_in(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_in_qr(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_in_by_code(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
