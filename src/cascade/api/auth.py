"""Who is calling the API: a personal access token, or a signed-in browser session.

Both set ``request.auth`` (and ``request.user``) to the active ``Person``. Tokens carry a scope:
a read token may only read. Sessions are cookies, so every unsafe method needs the CSRF token;
bearer tokens cannot be sent by another site, so they do not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from cascade.core.errors import Forbidden
from cascade.people.models import AccessToken, Person
from cascade.people.services import token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer csc_...``; a wrong, revoked or expired key is a 401, no fallback."""

    def authenticate(self, request: HttpRequest, token: str) -> Person:
        access = token_authenticate(token.strip())
        if access is None:
            # A caller who sent a token meant to use it: do not fall back to the session.
            raise AuthenticationError()
        if request.method not in SAFE_METHODS and access.scope != AccessToken.Scope.WRITE:
            raise Forbidden(
                _("This token can only read; create a token with write access."),
                code="insufficient_scope",
            )
        request.user = access.person
        return access.person


class SessionAuth(APIKeyCookie):
    """The browser's Django session, with Django's CSRF check on unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Person | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        csrf_exempt = getattr(request, "_ninja_csrf_exempt", False)
        unsafe = request.method not in SAFE_METHODS
        if self.csrf and unsafe and not csrf_exempt and check_csrf(request) is not None:
            raise Forbidden(
                _("The CSRF token is missing or wrong; send it in the X-CSRFToken header."),
                code="csrf_failed",
            )
        person: Person = user
        return person

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        # Unused: ``__call__`` reads the already-authenticated ``request.user``.
        return None


token_auth = TokenAuth()
session_auth = SessionAuth(csrf=True)
