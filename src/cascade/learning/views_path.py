"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def resource_download(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def my_programs(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def my_path(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def step(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def quiz_start(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def attempt(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def evidence_download(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)
