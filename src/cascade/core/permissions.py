"""Role checks shared by every area's views and API.

Object-level rules live beside each area's data (``<area>/rules.py``); this module only knows
that a user has roles (``user.has_role(...)``), keyed to ``AUTH_USER_MODEL`` without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def has_any_role(user: Any, *roles: str) -> bool:
    """True when the (authenticated) user holds one of ``roles``; superusers hold every role."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(set(roles) & set(user.roles))


def role_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a view: sign-in first, then one of ``roles`` or 403."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_any_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
