from __future__ import annotations

from django.urls import path

from cascade.core import views

app_name = "core"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_read"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("audit/", views.audit_log, name="audit_log"),
]
