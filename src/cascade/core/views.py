"""Shell views: health check, error pages, notifications, the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cascade.core.errors import problem
from cascade.core.forms import AuditFilterForm, NotificationPreferencesForm
from cascade.core.models import NotificationPreference
from cascade.core.permissions import role_required
from cascade.core.selectors import audit_entries, notifications_for
from cascade.core.services import notification_mark_read, notification_preferences_set


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers; load balancers and `make run` poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _error(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        code = {400: "bad_request", 403: "forbidden", 404: "not_found"}.get(status, "server_error")
        return JsonResponse(
            problem(status=status, code=code, title=title, detail=detail),
            status=status,
            content_type="application/problem+json",
        )
    return render(request, "core/error.html", {"title": title, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("You do not have access to this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page not found"), _("There is nothing at this address."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, _("Something went wrong"), _("The error was logged; please try again.")
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("Form expired"),
        _("The form was missing its security token. Go back, reload the page and try again."),
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(recipient=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page_obj": page, "query_string": ""})


@login_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    notification_id = int(raw) if raw.isdigit() else None
    notification_mark_read(recipient=request.user, notification_id=notification_id)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("core:notifications")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    current = dict(
        NotificationPreference.objects.filter(person=request.user).values_list("kind", "email")  # type: ignore[misc]
    )
    # Not ``request.POST or None``: with every box unchecked (and the CSRF token in a header)
    # the body is empty, and "email me nothing" must still be saved.
    data = request.POST if request.method == "POST" else None
    form = NotificationPreferencesForm(data, current=current)
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(person=request.user, email_by_kind=form.cleaned_data)
        messages.success(request, _("Your email preferences are saved."))
        return redirect("core:notification_preferences")
    return render(request, "core/notification_preferences.html", {"form": form})


@role_required("program_manager")
def audit_log(request: HttpRequest) -> HttpResponse:
    # The log spans the whole organisation: program managers scoped to some units do not see it.
    if not getattr(request.user, "manages_whole_organisation", False):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(
        action=filters.get("action") or "",
        target_type=filters.get("target_type") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    qs = query.urlencode()
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page_obj": page, "query_string": f"{qs}&" if qs else ""},
    )
