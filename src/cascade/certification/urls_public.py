"""Public credential URLs (no sign-in): issuer profile and keys, status lists, achievements, a
credential's page, file and certificate, and the verify page. Every identifier inside an issued
credential points here, so these paths must never change."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from cascade.certification import views_public

urlpatterns: list[URLPattern | URLResolver] = [
    path("credentials/issuer", views_public.issuer, name="credential_issuer"),
    path("credentials/issuer/keys.json", views_public.issuer_keys, name="credential_keys"),
    path("credentials/issuer/keys/<str:kid>", views_public.issuer_key, name="credential_key"),
    path(
        "credentials/status/<slug:purpose>",
        views_public.status_list,
        name="credential_status_list",
    ),
    path(
        "credentials/achievements/<slug:slug>/<slug:level>",
        views_public.achievement,
        name="credential_achievement",
    ),
    path("credentials/verify/", views_public.credential_verify, name="credential_verify"),
    path("credentials/<uuid:uid>/", views_public.credential_detail, name="credential_detail"),
    path(
        "credentials/<uuid:uid>.json", views_public.credential_download, name="credential_download"
    ),
    path("credentials/<uuid:uid>.pdf", views_public.credential_pdf, name="credential_pdf"),
]
