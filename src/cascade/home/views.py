"""The home page: one per role, answering "what should I do next?"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cascade.home.selectors import home_for


@login_required
def index(request: HttpRequest) -> HttpResponse:
    data = home_for(person=request.user)  # type: ignore[arg-type]
    return render(request, "home/index.html", {"data": data})
