"""(being written)"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def session_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def my_sessions(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_open(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def session_staff(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def staff_remove(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def enrol(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def leave(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def nominate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def enrol_people(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def booking_decide(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def booking_cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
