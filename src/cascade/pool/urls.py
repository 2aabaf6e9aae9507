"""URLs of the trainer pool."""

from __future__ import annotations

from django.urls import path

from cascade.pool import views

app_name = "pool"

urlpatterns = [
    path("pool/", views.bench, name="bench"),
    path("pool/availability/", views.my_availability, name="my_availability"),
    path("pool/availability/profile/", views.profile_save, name="profile_save"),
    path("pool/availability/weekly/", views.weekly_save, name="weekly_save"),
    path("pool/availability/time-off/", views.time_off_add, name="time_off_add"),
    path(
        "pool/availability/time-off/<int:pk>/remove/",
        views.time_off_remove,
        name="time_off_remove",
    ),
    path("pool/availability/import/", views.calendar_import, name="calendar_import"),
]
