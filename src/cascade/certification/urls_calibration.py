"""Calibration pages (rater calibration exercises, reliability)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from cascade.certification import views_calibration as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("certification/calibration/", views.calibration_list, name="calibration_list"),
    path("certification/calibration/new/", views.calibration_new, name="calibration_new"),
    path(
        "certification/calibration/<int:pk>/",
        views.calibration_attempt,
        name="calibration_attempt",
    ),
    path(
        "certification/calibration/<int:pk>/edit/",
        views.calibration_edit,
        name="calibration_edit",
    ),
    path(
        "certification/calibration/<int:pk>/recording/",
        views.calibration_recording,
        name="calibration_recording",
    ),
    path(
        "certification/calibration/attempts/<int:pk>/",
        views.calibration_result,
        name="calibration_result",
    ),
    path(
        "certification/calibration/reliability/<int:pk>/",
        views.rubric_reliability,
        name="rubric_reliability",
    ),
]
