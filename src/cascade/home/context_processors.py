"""Template context every page needs: the org name, the role navigation, the unread count."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cascade.core.selectors import notification_unread_count
from cascade.home.navigation import nav_for


def shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"org_name": settings.CASCADE_ORG_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_items"] = nav_for(user, request.path)
        context["unread_count"] = notification_unread_count(recipient=user)
    return context
