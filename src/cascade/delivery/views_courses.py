"""Course and venue pages: the catalogue, a course's page (its upcoming sessions, materials and,
for those who deliver it, the facilitator guide), and the program managers' forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.core.uploads import download_response
from cascade.delivery import access, rules
from cascade.delivery.forms_courses import CourseForm, MaterialForm, VenueForm
from cascade.delivery.models import Course, CourseMaterial, Session, Venue
from cascade.delivery.services import courses as services
from cascade.people.models import OrgUnit, Person
from cascade.people.rules import managed_unit_paths


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _units(viewer: Person) -> Any:
    paths = managed_unit_paths(viewer)
    if paths is None:
        return OrgUnit.objects.all()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return OrgUnit.objects.filter(q)


def _fields(form: Any) -> dict[str, Any]:
    return dict(form.cleaned_data)


def _form_errors(form: Any, exc: ApplicationError) -> None:
    for field, errors in exc.extra.get("errors", {}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.extra.get("errors"):
        form.add_error(None, exc.message)


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    now = timezone.now()
    courses = (
        Course.objects.filter(archived_at__isnull=True)
        .annotate(
            upcoming=Count(
                "sessions",
                filter=Q(sessions__status=Session.Status.OPEN, sessions__starts_at__gte=now),
            )
        )
        .order_by("title")
    )
    return render(
        request,
        "delivery/courses/list.html",
        {"courses": courses, "can_plan": rules.can_plan(viewer)},
    )


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    course = access.course_visible(viewer, pk)
    can_manage = rules.can_manage_course(viewer, course)
    delivers = rules.can_see_trainer_material(viewer, course)
    form = MaterialForm() if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        form = MaterialForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.material_add(
                    course=course,
                    upload=form.cleaned_data["file"],
                    actor=viewer,
                    title=form.cleaned_data["title"],
                    for_trainers=form.cleaned_data["for_trainers"],
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, _("File added."))
                return redirect("delivery:course", course.pk)
    materials = course.materials.all()
    if not delivers:
        materials = materials.filter(for_trainers=False)
    sessions = (
        rules.sessions_visible(viewer)
        .filter(course=course, ends_at__gte=timezone.now())
        .exclude(status=Session.Status.CANCELLED)
        .select_related("venue")
        .order_by("starts_at")[:20]
    )
    return render(
        request,
        "delivery/courses/detail.html",
        {
            "course": course,
            "can_manage": can_manage,
            "delivers": delivers,
            "summary_html": render_markdown(course.summary),
            "objectives_html": render_markdown(course.objectives),
            "guide_html": render_markdown(course.facilitator_guide) if delivers else "",
            "materials": materials,
            "sessions": sessions,
            "form": form,
            "can_discuss": rules.can_see_course_discussion(viewer, course),
        },
    )


@login_required
def material_download(request: HttpRequest, pk: int, material_pk: int) -> FileResponse:
    viewer = _viewer(request)
    course = access.course_visible(viewer, pk)
    material = CourseMaterial.objects.filter(pk=material_pk, course=course).first()
    if material is None:
        raise Http404
    if material.for_trainers and not rules.can_see_trainer_material(viewer, course):
        raise Http404
    return download_response(
        material.file, filename=material.original_name, content_type=material.content_type
    )


@login_required
def course_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not rules.can_plan(viewer):
        raise Http404
    form = CourseForm(request.POST or None, units=_units(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=viewer, **_fields(form))
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Course created. Plan its first session."))
            return redirect("delivery:course", course.pk)
    return render(request, "delivery/courses/form.html", {"form": form, "course": None})


@login_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    course = access.course_to_manage(viewer, pk)
    form = CourseForm(request.POST or None, instance=course, units=_units(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(
                course=Course.objects.get(pk=course.pk), actor=viewer, **_fields(form)
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("delivery:course", course.pk)
    return render(request, "delivery/courses/form.html", {"form": form, "course": course})


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not rules.can_plan(viewer):
        raise Http404
    return render(request, "delivery/courses/venues.html", {"venues": rules.venues_usable(viewer)})


@login_required
def venue_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not rules.can_plan(viewer):
        raise Http404
    form = VenueForm(request.POST or None, units=_units(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            services.venue_create(actor=viewer, **_fields(form))
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Venue added."))
            return redirect("delivery:venues")
    return render(request, "delivery/courses/venue_form.html", {"form": form, "venue": None})


@login_required
def venue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    venue = access.venue_to_manage(viewer, pk)
    form = VenueForm(request.POST or None, instance=venue, units=_units(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            services.venue_update(
                venue=Venue.objects.get(pk=venue.pk), actor=viewer, **_fields(form)
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("delivery:venues")
    return render(request, "delivery/courses/venue_form.html", {"form": form, "venue": venue})
