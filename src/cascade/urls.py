"""Top-level URL map: one include per area, the API under /api/v1/, the health check."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from cascade.api.api import api
from cascade.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("cascade.home.urls")),
    path("", include("cascade.core.urls")),
    path("", include("cascade.people.urls")),
    path("", include("cascade.learning.urls")),
    path("", include("cascade.delivery.urls")),
    path("", include("cascade.live.urls")),
    path("", include("cascade.certification.urls")),
    path("", include("cascade.pool.urls")),
    path("api/v1/", api.urls),
    path("ops/admin/", admin.site.urls),
]

handler400 = "cascade.core.views.bad_request"
handler403 = "cascade.core.views.permission_denied"
handler404 = "cascade.core.views.page_not_found"
handler500 = "cascade.core.views.server_error"
