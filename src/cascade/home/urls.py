from __future__ import annotations

from django.urls import path

from cascade.home import views

app_name = "home"

urlpatterns = [
    path("", views.index, name="index"),
]
