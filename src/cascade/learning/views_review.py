"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def review_queue(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def review(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)
