"""Every exception an API handler can raise, turned into an RFC 9457 problem document here.

Handlers and services raise what they naturally raise (``ApplicationError``, ``Http404``,
Django's ``ValidationError`` ...); this module is the one place that maps each to a status and a
stable ``code``. Nothing leaks a traceback or a model name to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from cascade.core.errors import ApplicationError, problem

logger = logging.getLogger("cascade.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Codes for ninja's own HttpErrors (unparseable body, method checks ...), by status.
_HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}
# Keys of the problem body that ``extra`` must not overwrite.
_RESERVED = frozenset({"type", "title", "status", "code", "detail"})


def problem_response(
    *,
    status: int,
    code: str,
    detail: str = "",
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A problem-details response; ``title`` is the status phrase, ``detail`` is for people."""
    body = problem(
        status=status,
        code=code,
        title=HTTPStatus(status).phrase,
        detail=detail,
        **{k: v for k, v in (extra or {}).items() if k not in _RESERVED},
    )
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return problem_response(status=exc.status, code=exc.code, detail=exc.message, extra=exc.extra)


def _request_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return problem_response(
        status=422,
        code="validation_error",
        detail="The request is not valid; see errors.",
        extra={"errors": errors},
    )


def _not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        status=401,
        code="not_authenticated",
        detail="Sign in, or send a valid personal access token as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="cascade"'},
    )


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(status=403, code="forbidden", detail="You may not do this.")


def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return problem_response(status=429, code="throttled", detail="Too many requests.")


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code if 400 <= exc.status_code < 600 else 500
    return problem_response(
        status=status, code=_HTTP_ERROR_CODES.get(status, "http_error"), detail=str(exc)
    )


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never echo the exception: "No Person matches the given query" names our models.
    return problem_response(status=404, code="not_found", detail="Not found.")


def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": [] if field == "__all__" else [field], "msg": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"loc": [], "msg": str(message)} for message in exc.messages]
    return problem_response(
        status=400,
        code="invalid",
        detail=" ".join(str(m) for m in exc.messages),
        extra={"errors": errors},
    )


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        status=500, code="server_error", detail="Something went wrong; the error was logged."
    )


def install_problem_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers: every error becomes a problem document."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (Exception, _server_error),
        (ApplicationError, _application_error),
        (NinjaValidationError, _request_validation_error),
        (HttpError, _http_error),
        (AuthenticationError, _not_authenticated),
        (AuthorizationError, _forbidden),
        (Throttled, _throttled),
        (Http404, _not_found),
        (ObjectDoesNotExist, _not_found),
        (PermissionDenied, _forbidden),
        (DjangoValidationError, _invalid),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
