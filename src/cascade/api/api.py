"""The API at /api/v1/: one NinjaAPI that authenticates, maps errors, and mounts each area's router.

Every endpoint needs a caller (a personal access token or a session, ``cascade.api.auth``);
every error is an RFC 9457 problem document (``cascade.api.errors``). The interactive docs are at
/api/v1/docs and the OpenAPI schema at /api/v1/openapi.json.
"""

from __future__ import annotations

from ninja import NinjaAPI

from cascade.api.auth import session_auth, token_auth
from cascade.api.errors import install_problem_handlers
from cascade.certification.api import frameworks_router, rubrics_router
from cascade.certification.api_awards import (
    certifications_router,
    credentials_router,
    observations_router,
)
from cascade.delivery.api import bookings_router, courses_router, sessions_router
from cascade.learning.api import (
    attempts_router,
    cohorts_router,
    enrolments_router,
    programs_router,
)
from cascade.people.api import org_units_router, people_router

api = NinjaAPI(
    title="Cascade API",
    version="1",
    description=(
        "Authenticate with a personal access token (`Authorization: Bearer csc_...`, created "
        "under Me → API tokens or with `python -m cascade token EMAIL`) or a signed-in session "
        "(unsafe methods then need the `X-CSRFToken` header). Read tokens may only read. "
        "Errors are RFC 9457 problem documents (`application/problem+json`) with a stable "
        "`code`."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[token_auth, session_auth],
)
install_problem_handlers(api)

api.add_router("/people", people_router)
api.add_router("/org-units", org_units_router)
api.add_router("/programs", programs_router)
api.add_router("/cohorts", cohorts_router)
api.add_router("/enrolments", enrolments_router)
api.add_router("/attempts", attempts_router)
api.add_router("/courses", courses_router)
api.add_router("/sessions", sessions_router)
api.add_router("/session-enrolments", bookings_router)
api.add_router("/frameworks", frameworks_router)
api.add_router("/rubrics", rubrics_router)
api.add_router("/observations", observations_router)
api.add_router("/certifications", certifications_router)
api.add_router("/credentials", credentials_router)
