"""The ladder's rules: the overview, one rung's edit form, and going back to the default."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from cascade.certification import views_ladder as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("certification/ladder/", views.ladder_overview, name="ladder"),
    path("certification/ladder/<str:scope>/<str:level>/", views.ladder_edit, name="ladder_edit"),
    path(
        "certification/ladder/<str:scope>/<str:level>/reset/",
        views.ladder_reset,
        name="ladder_reset",
    ),
]
