"""Session pages: the finder, a session's page (with the roster for those allowed), planning
(new, edit, open, cancel, staff) and places (enrol, leave, nominate, bulk, approve).

Views parse, authorise through :mod:`cascade.delivery.access`/``rules``, and call one service;
a service's refusal (:class:`ApplicationError`) comes back as a message or a field error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.delivery import access, rules, selectors
from cascade.delivery.forms_sessions import (
    CancelForm,
    FinderForm,
    NominateForm,
    PeopleEmailsForm,
    SessionForm,
    SlotFormSet,
    StaffForm,
)
from cascade.delivery.models import Booking, Course, Session, SessionStaff
from cascade.delivery.services import enrolment as enrol_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.attendance import running_slot
from cascade.learning import rules as learning_rules
from cascade.people.models import Person

PAGE_SIZE = 25


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _back(session: Session) -> HttpResponse:
    return redirect("delivery:session", session.pk)


# --- Finding sessions -----------------------------------------------------------------------


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = FinderForm(request.GET or None)
    filters = selectors.SessionFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.SessionFilters(
            q=data["q"],
            course=data["course"].pk if data["course"] else None,
            modality=data["modality"],
            region=data["region"],
            starts_from=data["starts_from"],
        )
    page = Paginator(selectors.sessions_find(viewer, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sessions = list(page.object_list)
    ids = [s.pk for s in sessions]
    mine = selectors.my_bookings_by_session(viewer, ids)
    waiting = selectors.waitlist_counts(ids)
    rows = [
        {"session": s, "booking": mine.get(s.pk), "waiting": waiting.get(s.pk, 0)} for s in sessions
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "delivery/sessions/list.html",
        {
            "form": form,
            "rows": rows,
            "page_obj": page,
            "query_string": (query.urlencode() + "&") if query else "",
            "can_plan": rules.can_plan(viewer),
        },
    )


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    sessions = selectors.my_upcoming(viewer, limit=50)
    ids = [s.pk for s in sessions]
    mine = selectors.my_bookings_by_session(viewer, ids)
    teaching = set(
        SessionStaff.objects.filter(session_id__in=ids, person=viewer).values_list(
            "session_id", flat=True
        )
    )
    rows = [
        {"session": s, "booking": mine.get(s.pk), "teaching": s.pk in teaching} for s in sessions
    ]
    return render(request, "delivery/sessions/mine.html", {"rows": rows})


# --- A session's page -----------------------------------------------------------------------


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_visible(viewer, pk)
    booking = Booking.objects.filter(session=session, person=viewer).first()
    can_manage = rules.can_manage_session(viewer, session)
    staff_rows = [s for s in session.staff.all() if s.status != SessionStaff.Status.DECLINED]
    is_staff = any(s.person_id == viewer.pk for s in staff_rows)
    can_roster = can_manage or is_staff
    roster = selectors.session_roster(session) if can_roster else None
    reports: QuerySet[Person] = Person.objects.filter(manager=viewer, is_active=True).order_by(
        "display_name"
    )
    booked_ids = set(
        Booking.objects.filter(session=session, status__in=rules.LIVE_BOOKING).values_list(
            "person_id", flat=True
        )
    )
    nominable = [p for p in reports if p.pk not in booked_ids]
    now = timezone.now()
    context: dict[str, Any] = {
        "session": session,
        "slots": list(session.slots.all()),
        "staff_rows": staff_rows,
        "booking": booking,
        "position": enrol_services.waitlist_position(booking) if booking else None,
        "late_if_cancelled": enrol_services.cancel_is_late(session),
        "can_manage": can_manage,
        "can_roster": can_roster,
        "is_staff": is_staff,
        "roster": roster,
        "waiting": len(roster.waitlist)
        if roster
        else selectors.waitlist_counts([session.pk]).get(session.pk, 0),
        "description_html": render_markdown(session.description),
        "show_join": bool(session.join_url)
        and (can_roster or (booking is not None and booking.status == Booking.Status.ENROLLED)),
        "started": session.starts_at is not None and session.starts_at <= now,
        "running": running_slot(session, now=now) is not None,
        "nominate_form": NominateForm(
            reports=Person.objects.filter(pk__in=[p.pk for p in nominable])
        )
        if nominable and session.status == Session.Status.OPEN
        else None,
        "staff_form": StaffForm() if can_manage else None,
        "people_form": PeopleEmailsForm() if can_manage else None,
        "can_discuss": rules.can_see_session_discussion(viewer, session),
    }
    return render(request, "delivery/sessions/detail.html", context)


# --- Places -----------------------------------------------------------------------------------


def _say_booking(request: HttpRequest, booking: Booking) -> None:
    if booking.status == Booking.Status.ENROLLED:
        messages.success(request, _("You have a place. The invitation is in your email."))
    elif booking.status == Booking.Status.WAITLISTED:
        messages.info(
            request,
            _(
                "The session is full: you are number %(n)s on the waitlist. "
                "We will tell you when a place frees up."
            )
            % {"n": enrol_services.waitlist_position(booking)},
        )
    elif booking.status == Booking.Status.PENDING:
        messages.info(request, _("Your nomination waits for approval."))


@require_POST
@login_required
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_visible(viewer, pk)
    try:
        booking = enrol_services.session_enrol(session=session, person=viewer, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        _say_booking(request, booking)
    return _back(session)


@require_POST
@login_required
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_visible(viewer, pk)
    booking = Booking.objects.filter(session=session, person=viewer).first()
    if booking is None:
        raise Http404
    try:
        booking = enrol_services.booking_cancel(booking=booking, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if booking.late_cancel:
            messages.warning(
                request,
                _(
                    "Your place is cancelled. It was after the cut-off, "
                    "so it is recorded as a late cancellation."
                ),
            )
        else:
            messages.success(request, _("Your place is cancelled."))
    return _back(session)


@require_POST
@login_required
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_visible(viewer, pk)
    reports = Person.objects.filter(manager=viewer, is_active=True)
    form = NominateForm(request.POST, reports=reports)
    if not form.is_valid():
        messages.error(request, _("Choose at least one of your reports."))
        return _back(session)
    done, refused = 0, []
    for person in form.cleaned_data["people"]:
        try:
            enrol_services.session_nominate(session=session, person=person, actor=viewer)
            done += 1
        except ApplicationError as exc:
            refused.append(f"{person.display_name}: {exc.message}")
    if done:
        messages.success(
            request,
            ngettext("%(n)s person nominated.", "%(n)s people nominated.", done) % {"n": done},
        )
    for line in refused:
        messages.error(request, line)
    return _back(session)


@require_POST
@login_required
def enrol_people(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    form = PeopleEmailsForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("emails", []):
            messages.error(request, str(error))
        return _back(session)
    try:
        result = enrol_services.session_enrol_many(
            session=session, people=form.cleaned_data["emails"], actor=viewer
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(session)
    messages.success(
        request,
        _("%(e)s enrolled, %(w)s on the waitlist, %(a)s already there.")
        % {"e": len(result.enrolled), "w": len(result.waitlisted), "a": len(result.already)},
    )
    for person, reason in result.refused:
        messages.error(request, f"{person.display_name}: {reason}")
    return _back(session)


@require_POST
@login_required
def booking_decide(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    booking = access.booking_to_decide(viewer, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        booking = enrol_services.booking_decide(booking=booking, approve=approve, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(p)s: %(s)s.")
            % {"p": booking.person.display_name, "s": booking.get_status_display()},
        )
    return _back(booking.session)


@require_POST
@login_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager of the session takes someone off it (their place goes to the waitlist)."""
    viewer = _viewer(request)
    booking = access.booking_to_decide(viewer, pk)
    try:
        enrol_services.booking_cancel(booking=booking, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(p)s is off the session.") % {"p": booking.person.display_name}
        )
    return _back(booking.session)


# --- Planning -------------------------------------------------------------------------------


def _planning_querysets(viewer: Person) -> dict[str, Any]:
    return {
        "courses": rules.courses_manageable(viewer),
        "cohorts": learning_rules.cohorts_visible(viewer),
        "venues": rules.venues_usable(viewer),
    }


def _session_form_page(
    request: HttpRequest,
    *,
    form: SessionForm,
    slots: Any,
    session: Session | None,
    slot_error: str = "",
) -> HttpResponse:
    return render(
        request,
        "delivery/sessions/form.html",
        {"form": form, "slots": slots, "session": session, "slot_error": slot_error},
    )


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not rules.can_plan(viewer) and not learning_rules.cohorts_visible(viewer).exists():
        raise Http404
    initial: dict[str, Any] = {}
    course_id = request.GET.get("course", "")
    if course_id.isdigit():
        initial["delivers"] = f"course:{course_id}"
        course = Course.objects.filter(pk=int(course_id)).first()
        if course is not None:
            initial["self_enrol"] = course.self_enrol
            initial["needs_approval"] = course.needs_approval
    form = SessionForm(request.POST or None, initial=initial, **_planning_querysets(viewer))
    slots = SlotFormSet(request.POST or None, prefix="slots")
    if request.method == "POST" and form.is_valid() and slots.is_valid():
        target = form.target()
        if "course" in target and not rules.can_manage_course(viewer, target["course"]):
            raise Http404
        try:
            session = session_services.session_create(
                details=form.details(slots.slots()),  # type: ignore[attr-defined]
                actor=viewer,
                **target,
            )
        except ApplicationError as exc:
            if not form.add_service_error(exc):
                return _session_form_page(
                    request, form=form, slots=slots, session=None, slot_error=exc.message
                )
        else:
            messages.success(
                request, _("Session saved as a draft. Add trainers, then open it for enrolment.")
            )
            return redirect("delivery:session", session.pk)
    return _session_form_page(request, form=form, slots=slots, session=None)


@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    if session.status == Session.Status.CANCELLED:
        messages.error(request, _("This session is cancelled; it can no longer be changed."))
        return _back(session)
    current = [s for s in session.slots.all() if not s.cancelled]
    form = SessionForm(
        request.POST or None,
        initial=SessionForm.initial_for(session),
        fixed_delivers=SessionForm.initial_for(session)["delivers"],
        **_planning_querysets(viewer),
    )
    slots = SlotFormSet(
        request.POST or None,
        prefix="slots",
        initial=[{"starts_at": s.starts_at, "ends_at": s.ends_at} for s in current],
    )
    if request.method == "POST" and form.is_valid() and slots.is_valid():
        try:
            session_services.session_update(
                session=session,
                details=form.details(slots.slots()),  # type: ignore[attr-defined]
                actor=viewer,
            )
        except ApplicationError as exc:
            if not form.add_service_error(exc):
                return _session_form_page(
                    request, form=form, slots=slots, session=session, slot_error=exc.message
                )
        else:
            messages.success(request, _("Saved. Everyone on the session was told of any change."))
            return _back(session)
    return _session_form_page(request, form=form, slots=slots, session=session)


@require_POST
@login_required
def session_open(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    try:
        session_services.session_publish(session=session, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The session is open for enrolment."))
    return _back(session)


@login_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session_services.session_cancel(
            session=session, actor=viewer, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The session is cancelled and everyone on it was told."))
        return _back(session)
    people = Booking.objects.filter(session=session, status__in=rules.LIVE_BOOKING).count()
    return render(
        request,
        "delivery/sessions/cancel.html",
        {"session": session, "form": form, "people": people},
    )


@require_POST
@login_required
def session_staff(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    form = StaffForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(session)
    person: Person = form.cleaned_data["email"]
    try:
        session_services.staff_assign(
            session=session, person=person, role=form.cleaned_data["role"], actor=viewer
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(p)s is on the session.") % {"p": person.display_name})
    return _back(session)


@require_POST
@login_required
def staff_remove(request: HttpRequest, pk: int, staff_pk: int) -> HttpResponse:
    viewer = _viewer(request)
    session = access.session_to_manage(viewer, pk)
    staff = (
        SessionStaff.objects.select_related("person", "session")
        .filter(pk=staff_pk, session=session)
        .first()
    )
    if staff is None:
        raise Http404
    session_services.staff_remove(staff=staff, actor=viewer)
    messages.success(request, _("%(p)s is off the session.") % {"p": staff.person.display_name})
    return _back(session)
