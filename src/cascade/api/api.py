"""The API at /api/v1/: one NinjaAPI that mounts each area's router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Cascade API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
