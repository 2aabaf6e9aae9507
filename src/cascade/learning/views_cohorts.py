"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def cohort_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def cohort_new(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def cohort_dashboard(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def cohort_enrol(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def cohort_nudge(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def cohort_export(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)
