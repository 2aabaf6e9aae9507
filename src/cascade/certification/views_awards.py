"""Certification pages: a person's path up the ladder (what is met, what is missing), the
certifications list, one certification with its history and credential, and the program
manager's award, suspend, reinstate, revoke and renew actions (each with a reason)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cascade.certification import rules
from cascade.certification.forms_observations import (
    AwardForm,
    CompetencyRatingForm,
    DevelopmentForm,
    ReasonForm,
)
from cascade.certification.models import Certification, CertificationStatus, Level
from cascade.certification.selectors import awards as selectors
from cascade.certification.services import awards as services
from cascade.core.errors import ApplicationError
from cascade.delivery.models import Course
from cascade.people.models import Person


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _path(request: HttpRequest, person: Person) -> HttpResponse:
    courses = selectors.path_courses(person)
    by_course = selectors.ladder_states(person, [c.pk for c in courses])
    states = [(course, by_course[course.pk]) for course in courses]
    names = selectors.competency_names()
    history = (
        Certification.objects.filter(person=person)
        .exclude(status=CertificationStatus.ACTIVE)
        .select_related("course")
    )
    return render(
        request,
        "certification/awards/path.html",
        {
            "person": person,
            "states": states,
            "history": history,
            "is_self": person.pk == _viewer(request).pk,
            "development_form": DevelopmentForm(),
            "rating_form": CompetencyRatingForm()
            if rules.can_manage_observations(_viewer(request)) and person.pk != _viewer(request).pk
            else None,
            "development": person.development.all()[:10],
            "competencies": [
                (code, names.get(code, ""), level)
                for code, level in selectors.competency_levels(person.pk).items()
            ],
        },
    )


@login_required
def my_path(request: HttpRequest) -> HttpResponse:
    return _path(request, _viewer(request))


@login_required
def person_path(request: HttpRequest, person_pk: int) -> HttpResponse:
    viewer = _viewer(request)
    if person_pk != viewer.pk and not rules.can_manage_observations(viewer):
        raise Http404
    person = Person.objects.filter(pk=person_pk).first()
    if person is None:
        raise Http404
    return _path(request, person)


@login_required
@require_POST
def development_add(request: HttpRequest) -> HttpResponse:
    form = DevelopmentForm(request.POST)
    if form.is_valid():
        try:
            services.development_log(person=_viewer(request), **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Development hours logged."))
    else:
        messages.error(request, _("Give what you did, the hours (0.5 to 200) and the date."))
    return redirect("certification:my_path")


@login_required
def certification_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    qs = selectors.certifications_visible(viewer)
    status = request.GET.get("status", "active")
    if status in CertificationStatus.values:
        qs = qs.filter(status=status)
    course = request.GET.get("course", "")
    if course.isdigit():
        qs = qs.filter(course_id=int(course))
    level = request.GET.get("level", "")
    if level in Level.values:
        qs = qs.filter(level=level)
    soon = timezone.now() + timedelta(days=services.REMINDER_DAYS[0])
    return render(
        request,
        "certification/awards/list.html",
        {
            "certifications": qs[:200],
            "status": status,
            "statuses": CertificationStatus.choices,
            "courses": Course.objects.filter(archived_at__isnull=True).order_by("title"),
            "course": course,
            "level": level,
            "levels": Level.choices,
            "soon": soon,
            "can_award": rules.can_award(viewer),
        },
    )


def _certification(request: HttpRequest, pk: int) -> Certification:
    cert = selectors.certifications_visible(_viewer(request)).filter(pk=pk).first()
    if cert is None:
        raise Http404
    return cert


@login_required
def certification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cert = _certification(request, pk)
    renewal = services.renewal_verdict(cert) if cert.status == CertificationStatus.ACTIVE else None
    return render(
        request,
        "certification/awards/detail.html",
        {
            "cert": cert,
            "events": selectors.certification_history(cert),
            "renewal": renewal,
            "can_award": rules.can_award(viewer),
            "reason_form": ReasonForm(),
            "is_self": cert.person_id == viewer.pk,
        },
    )


@login_required
@require_POST
def certification_action(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    cert = _certification(request, pk)
    form = ReasonForm(request.POST)
    action = request.POST.get("action", "")
    if action == "renew" and cert.person_id == viewer.pk and not request.POST.get("reason"):
        form = ReasonForm({"action": "renew", "reason": "-"})
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("certification:certification", pk)
    reason = form.cleaned_data["reason"] if form.cleaned_data["reason"] != "-" else ""
    if action not in ("suspend", "reinstate", "revoke", "renew"):
        raise Http404
    if not rules.can_award(viewer) and (action != "renew" or cert.person_id != viewer.pk):
        raise Http404  # only the holder renews their own; everything else is a manager's
    try:
        if action == "suspend":
            services.certification_suspend(certification=cert, actor=viewer, reason=reason)
        elif action == "reinstate":
            services.certification_reinstate(certification=cert, actor=viewer, reason=reason)
        elif action == "revoke":
            services.certification_revoke(certification=cert, actor=viewer, reason=reason)
        else:
            new = services.certification_renew(
                certification=cert, actor=viewer if rules.can_award(viewer) else None, reason=reason
            )
            messages.success(request, _("Renewed until %(d)s.") % {"d": new.expires_at.date()})
            return redirect("certification:certification", new.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        done = {
            "suspend": _("Suspended: they are out of the active pool until reinstated."),
            "reinstate": _("Reinstated: the certification is active again."),
            "revoke": _("Revoked: the credential now fails verification."),
        }
        messages.success(request, done[action])
    return redirect("certification:certification", pk)


@login_required
@require_http_methods(["GET", "POST"])
def certification_award(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not rules.can_award(viewer):
        raise Http404
    people = Person.objects.filter(is_active=True).order_by("display_name")
    form = AwardForm(request.POST or None, people=people, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        state = selectors.ladder_state(data["person"], data["course"].pk)
        try:
            cert = services.certification_award(
                person=data["person"],
                course=data["course"],
                level=data["level"],
                actor=viewer,
                reason=data["reason"],
                evidence=state.verdict.as_dict() if state.verdict else {},
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Awarded."))
            return redirect("certification:certification", cert.pk)
    return render(request, "certification/awards/award.html", {"form": form})


@login_required
@require_POST
def competency_rate(request: HttpRequest, person_pk: int) -> HttpResponse:
    """A master trainer records a direct judgement of one competency for someone else."""
    viewer = _viewer(request)
    person = Person.objects.filter(pk=person_pk).first()
    if person is None or person.pk == viewer.pk or not rules.can_manage_observations(viewer):
        raise Http404
    form = CompetencyRatingForm(request.POST)
    if form.is_valid():
        try:
            services.competency_rate(
                person=person,
                competency=form.cleaned_data["competency"],
                level=int(form.cleaned_data["level"]),
                note=form.cleaned_data["note"],
                actor=viewer,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Rating recorded."))
    else:
        messages.error(request, _("Choose a competency and a level, and say what you saw."))
    return redirect("certification:person_path", person.pk)
