"""The one exception type for domain rule violations, and its mapping to HTTP.

Services raise :class:`ApplicationError` with a stable ``code``; the API turns it into an
RFC 9457 problem document and views turn it into a form or page error, in one place each.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain rule said no; ``code`` is stable and documented, ``message`` is for people."""

    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(message, code=code)


class Forbidden(ApplicationError):
    status = 403

    def __init__(self, message: str = "You may not do this.", *, code: str = "forbidden") -> None:
        super().__init__(message, code=code)


def problem(
    *, status: int, code: str, title: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem-details body; ``type`` points at our documented error codes."""
    body: dict[str, Any] = {
        "type": f"https://cascade.invalid/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def clean_or_raise(
    instance: Any, *, exclude: list[str] | None = None, constraints: bool = True
) -> None:
    """``full_clean`` that speaks the domain's language: a Django ValidationError becomes an
    ApplicationError whose ``extra["errors"]`` maps fields to messages (forms put them in place).
    ``constraints=False`` leaves unique constraints to the database, for callers that turn the
    IntegrityError into a message of their own.
    """
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints)
    except ValidationError as exc:
        errors = exc.message_dict
        first = next(iter(errors.values()))[0]
        field = next(iter(errors))
        raise ApplicationError(
            str(first), code="invalid", extra={"errors": errors, "field": field}
        ) from exc
