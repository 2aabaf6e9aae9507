"""Attendance pages: the trainer's roster (made for a phone in the room), learners' self
check-in by code or QR, and the QR image itself."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cascade.core.errors import ApplicationError
from cascade.delivery import access, selectors
from cascade.delivery.models import Attendance, Booking, Session
from cascade.delivery.services import attendance as services
from cascade.people.models import Person

MARKS = [c for c in Attendance.choices if c[0]]


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone enrolled, one row each with four big buttons; one Save for the lot."""
    viewer = _viewer(request)
    session = access.session_roster_access(viewer, pk)
    roster = selectors.session_roster(session).enrolled
    error = ""
    if request.method == "POST":
        marks: dict[int, str] = {}
        for booking in roster:
            value = request.POST.get(f"mark-{booking.pk}")
            if value is not None and value != booking.attendance:
                marks[booking.pk] = value
        try:
            changed = services.attendance_mark(session=session, marks=marks, actor=viewer)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Attendance saved (%(n)s changed).") % {"n": len(changed)},
            )
            return redirect("delivery:attendance", session.pk)
    counts = {value: 0 for value, _label in Attendance.choices}
    for b in roster:
        counts[b.attendance] += 1
    return render(
        request,
        "delivery/attendance/roster.html",
        {
            "session": session,
            "roster": roster,
            "marks": MARKS,
            "counts": counts,
            "unmarked": counts[Attendance.NOT_MARKED],
            "error": error,
            "opens_at": session.starts_at,
            "is_open": session.starts_at is not None
            and session.starts_at - timedelta(minutes=30) <= timezone.now(),
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"}
        ),
    )


@login_required
def session_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The page the room's QR opens: a confirm button (GET never changes anything)."""
    viewer = _viewer(request)
    session = access.session_visible(viewer, pk)
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.check_in(
                session=session, person=viewer, code=form.cleaned_data["code"]
            )
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            return _checked_in(request, booking)
    return render(request, "delivery/attendance/check_in.html", {"session": session, "form": form})


def _checked_in(request: HttpRequest, booking: Booking) -> HttpResponse:
    if booking.attendance == Attendance.LATE:
        messages.warning(request, _("You are checked in (recorded as late)."))
    else:
        messages.success(request, _("You are checked in. Welcome!"))
    return redirect("delivery:session", booking.session_id)


@login_required
def check_in_by_code(request: HttpRequest) -> HttpResponse:
    """Type the code shown in the room: it finds the running session you are enrolled on."""
    viewer = _viewer(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        candidates = Session.objects.filter(
            bookings__person=viewer,
            bookings__status=Booking.Status.ENROLLED,
            status=Session.Status.OPEN,
            starts_at__lte=now + timedelta(hours=1),
            ends_at__gte=now,
        ).order_by("starts_at")
        code = form.cleaned_data["code"].strip().upper()
        session = next((s for s in candidates if s.check_in_code == code), None)
        if session is None and candidates:
            session = candidates[0]  # let the service say what is wrong with the code
        if session is None:
            form.add_error("code", _("You have no session running now to check in to."))
        else:
            try:
                booking = services.check_in(session=session, person=viewer, code=code)
            except ApplicationError as exc:
                form.add_error("code", exc.message)
            else:
                return _checked_in(request, booking)
    return render(request, "delivery/attendance/check_in.html", {"session": None, "form": form})


@require_GET
@login_required
def check_in_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """An SVG QR code of the check-in page's address with the code (for the room's screen)."""
    viewer = _viewer(request)
    session = access.session_roster_access(viewer, pk)
    url = request.build_absolute_uri(
        reverse("delivery:check_in", args=[session.pk]) + f"?code={session.check_in_code}"
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response
