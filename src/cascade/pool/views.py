"""The pool's pages for trainers: their profile and availability (weekly hours, time off, a
calendar file to import) with the next two weeks drawn as a calendar."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cascade.core.errors import ApplicationError
from cascade.people.models import Person
from cascade.pool import bench_strength, rules, selectors, services
from cascade.pool.forms import CalendarFileForm, ProfileForm, TimeOffForm, WeeklyForm
from cascade.pool.models import AvailabilityException, TrainerProfile, WeeklyHours

DAY_START, DAY_END = 6, 22  # the calendar shows 06:00-22:00
DAYS_SHOWN = 14


def _trainer(request: HttpRequest) -> Person:
    viewer: Person = request.user  # type: ignore[assignment]
    if not rules.can_keep_availability(viewer):
        raise Http404
    return viewer


def _calendar(person: Person) -> list[dict[str, Any]]:
    """The next two weeks, one row per day, availability as bars on a 06:00-22:00 scale."""
    zone = ZoneInfo(person.time_zone)
    today = timezone.now().astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = start + timedelta(days=DAYS_SHOWN)
    found = selectors.availability_of([person], start=start, end=end)[person.pk]
    span = (DAY_END - DAY_START) * 60
    days = []
    for offset in range(DAYS_SHOWN):
        day = today + timedelta(days=offset)
        bars = []
        for s, e in found:
            ls, le = s.astimezone(zone), e.astimezone(zone)
            if ls.date() != day and le.date() != day:
                continue
            first = max(ls, datetime.combine(day, time(DAY_START), tzinfo=zone))
            last = min(le, datetime.combine(day, time(DAY_END - 1, 59), tzinfo=zone))
            if last <= first:
                continue
            x = (first.hour - DAY_START) * 60 + first.minute
            width = int((last - first).total_seconds() // 60)
            bars.append({"x": x, "width": width, "label": f"{first:%H:%M}–{le:%H:%M}"})
        days.append({"day": day, "bars": bars, "span": span})
    return days


@login_required
def my_availability(request: HttpRequest) -> HttpResponse:
    person = _trainer(request)
    profile = TrainerProfile.objects.filter(person=person).first()
    weekly = {row.weekday: row for row in WeeklyHours.objects.filter(person=person)}
    initial: dict[str, Any] = {}
    for day, row in weekly.items():
        initial[f"from_{day}"], initial[f"to_{day}"] = row.starts, row.ends
    return render(
        request,
        "pool/availability.html",
        {
            "profile": profile,
            "profile_form": ProfileForm(
                initial={
                    "home_region": profile.home_region if profile else "",
                    "home_location": profile.home_location if profile else "",
                    "languages": ", ".join(profile.languages) if profile else "",
                    "modalities": profile.modalities if profile else [],
                }
            ),
            "weekly_form": WeeklyForm(initial=initial),
            "time_off_form": TimeOffForm(),
            "calendar_form": CalendarFileForm(),
            "time_off": AvailabilityException.objects.filter(
                person=person, ends_at__gte=timezone.now()
            )[:50],
            "calendar": _calendar(person),
            "hours": [f"{h:02d}" for h in range(DAY_START, DAY_END, 2)],
        },
    )


def _errors(form: Any) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _back(request: HttpRequest, ok: str | None = None, error: str | None = None) -> HttpResponse:
    if ok:
        messages.success(request, ok)
    if error:
        messages.error(request, error)
    return redirect("pool:my_availability")


@login_required
@require_POST
def profile_save(request: HttpRequest) -> HttpResponse:
    person = _trainer(request)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _back(request, error=_errors(form))
    try:
        services.profile_save(person=person, actor=person, **form.cleaned_data)
    except ApplicationError as exc:
        return _back(request, error=exc.message)
    return _back(request, ok=_("Profile saved."))


@login_required
@require_POST
def weekly_save(request: HttpRequest) -> HttpResponse:
    person = _trainer(request)
    form = WeeklyForm(request.POST)
    if not form.is_valid():
        return _back(
            request,
            error=_("Weekly hours not saved: ") + _errors(form),
        )
    try:
        services.weekly_hours_set(person=person, actor=person, hours=form.hours())
    except ApplicationError as exc:
        return _back(request, error=exc.message)
    return _back(request, ok=_("Weekly hours saved."))


@login_required
@require_POST
def time_off_add(request: HttpRequest) -> HttpResponse:
    person = _trainer(request)
    form = TimeOffForm(request.POST)
    if not form.is_valid():
        return _back(
            request,
            error=_("Time off not saved: ") + _errors(form),
        )
    zone = ZoneInfo(person.time_zone)
    starts = datetime.combine(form.cleaned_data["starts_on"], time(0), tzinfo=zone)
    ends = datetime.combine(form.cleaned_data["ends_on"] + timedelta(days=1), time(0), tzinfo=zone)
    services.exception_add(
        person=person,
        actor=person,
        starts_at=starts,
        ends_at=ends,
        reason=form.cleaned_data["reason"],
    )
    return _back(request, ok=_("Time off saved."))


@login_required
@require_POST
def time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    person = _trainer(request)
    exception = AvailabilityException.objects.filter(pk=pk, person=person).first()
    if exception is None:
        raise Http404
    services.exception_remove(exception=exception, actor=person)
    return _back(request, ok=_("Removed."))


@login_required
@require_POST
def calendar_import(request: HttpRequest) -> HttpResponse:
    person = _trainer(request)
    form = CalendarFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _back(request, error=_("Choose a calendar file (.ics)."))
    upload = form.cleaned_data["calendar"]
    if upload.size > services.ICS_MAX_BYTES:
        return _back(request, error=_("The calendar file is larger than 1 MB."))
    try:
        count = services.ics_import(person=person, actor=person, data=upload.read())
    except ApplicationError as exc:
        return _back(request, error=exc.message)
    return _back(
        request, ok=_("Imported %(n)s busy times for the next year as time off.") % {"n": count}
    )


@login_required
def bench(request: HttpRequest) -> HttpResponse:
    """Bench strength per course and region, risks first."""
    viewer: Person = request.user  # type: ignore[assignment]
    if not rules.can_see_pool(viewer):
        raise Http404
    rows = bench_strength.bench_strength()
    return render(
        request,
        "pool/bench.html",
        {
            "rows": rows,
            "at_risk": [r for r in rows if r.at_risk],
            "risk_at": bench_strength.RISK_AT,
            "expiry_days": bench_strength.EXPIRY_DAYS,
            "load_days": bench_strength.LOAD_DAYS,
        },
    )
