"""What every area's API shares: the problem-document schema and pagination.

Areas build their routers on these so every list pages alike (``page``, ``page_size``, ``count``)
and every error is documented as the same RFC 9457 problem shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 200


class ProblemOut(Schema):
    """An RFC 9457 problem document (served as application/problem+json)."""

    type: str
    title: str
    status: int
    code: str = Field(description="Stable, documented error code, e.g. not_found.")
    detail: str = ""
    errors: list[dict[str, Any]] | None = None


ERRORS: dict[int, type[Schema]] = {
    400: ProblemOut,
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    422: ProblemOut,
}


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def paginate(items: QuerySet[Any] | Sequence[Any], *, page: int, page_size: int) -> dict[str, Any]:
    """One page of an ordered queryset (two queries, count and slice, plus its prefetches) or
    of a list already in memory."""
    start = (page - 1) * page_size
    count = items.count() if isinstance(items, QuerySet) else len(items)
    return {
        "items": list(items[start : start + page_size]),
        "count": count,
        "page": page,
        "page_size": page_size,
    }
