"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def program_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def program_new(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def program_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def draft_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def step_new(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def step_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def step_move(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def step_delete(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def steps_reorder(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def preview(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def publish(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def question_bank(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def question_new(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def question_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def program_export(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


def program_import(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)
