"""Bulk import of people from CSV: a dry-run preview, then an all-or-nothing import."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cascade.core.permissions import role_required
from cascade.people.models import Role


@role_required(Role.PROGRAM_MANAGER)
def import_people(request: HttpRequest) -> HttpResponse:
    return render(request, "people/import.html", {})
