"""People pages: sign-in and password flows, the directory, profiles, roles, org units, tokens.

Views parse, authorise (``people.rules``), call one service or selector, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cascade.core.errors import ApplicationError
from cascade.core.permissions import role_required
from cascade.people import rules, selectors, services
from cascade.people.forms import (
    DirectoryFilterForm,
    LoginForm,
    OrgUnitForm,
    OwnProfileForm,
    PasswordResetRequestForm,
    PersonForm,
    RolesForm,
    TokenForm,
)
from cascade.people.models import AccessToken, OrgUnit, Person, Role

# --- Sign-in and passwords ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "people/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Choose a password from an invitation or a reset link (one use; Django's token)."""

    template_name = "people/set_password.html"
    success_url = reverse_lazy("people:login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password is set. Sign in with it now."))
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:me")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password is changed; other sessions were ended."))
        return super().form_valid(form)


def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer never reveals whether the email is known."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "people/password_reset_sent.html")
    return render(request, "people/password_reset.html", {"form": form})


# --- Own profile and tokens -----------------------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    initial = {
        "display_name": person.display_name,
        "job_title": person.job_title,
        "time_zone": person.time_zone,
        "languages": ", ".join(person.languages or []),
        "location": person.location,
    }
    form = OwnProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.person_update(person=person, actor=person, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("people:me")
    return render(request, "people/me.html", {"form": form, "person": person})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.token_create(
            person=person, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
        )
        form = TokenForm()
    return render(
        request,
        "people/tokens.html",
        {"form": form, "tokens": selectors.tokens_for(person=person), "new_key": new_key},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(AccessToken, pk=pk, person=request.user)
    services.token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("people:tokens")


# --- Directory and profiles -----------------------------------------------------------------


def _units_for(viewer: Person) -> QuerySet[OrgUnit]:
    units = selectors.org_units_all()
    paths = rules.managed_unit_paths(viewer)
    if paths is None:
        return units
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return units.filter(q)


def _person_or_404(viewer: Person, pk: int, *, manage: bool = False) -> Person:
    person = selectors.person_profile(pk=pk)
    if person is None:
        raise Http404
    allowed = (
        rules.can_manage_person(viewer, person) if manage else rules.can_view_person(viewer, person)
    )
    if not allowed:
        # Do not confirm that the person exists to someone who may not see them.
        raise Http404
    return person


@role_required(Role.PROGRAM_MANAGER)
def directory(request: HttpRequest) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    units = _units_for(viewer)
    form = DirectoryFilterForm(request.GET or None, units=units)
    f: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    people = selectors.people_directory(
        viewer=viewer,
        search=f.get("q") or "",
        org_unit=f.get("org_unit"),
        role=f.get("role") or "",
        include_inactive=bool(f.get("inactive")),
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    qs = query.urlencode()
    context = {"form": form, "page_obj": page, "query_string": f"{qs}&" if qs else ""}
    template = "people/directory.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@login_required
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    person = _person_or_404(viewer, pk)
    return render(
        request,
        "people/profile.html",
        {
            "person": person,
            "can_manage": rules.can_manage_person(viewer, person),
            "reports": selectors.person_reports(manager=person),
        },
    )


@role_required(Role.PROGRAM_MANAGER)
def person_new(request: HttpRequest) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    units = _units_for(viewer)
    form = PersonForm(request.POST or None, units=units, initial={"time_zone": viewer.time_zone})
    roles_form = RolesForm(
        request.POST or None, units=units, prefix="r", initial={"roles": [Role.LEARNER]}
    )
    if request.method == "POST" and form.is_valid() and roles_form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("org_unit")
        if unit is None and rules.managed_unit_paths(viewer) is not None:
            form.add_error("org_unit", _("Choose one of your org units."))
        else:
            try:
                person = services.person_create(
                    email=data.pop("email"),
                    actor=viewer,
                    org_unit=unit,
                    manager=data.pop("manager_email"),
                    roles=roles_form.cleaned_data["roles"],
                    scope=roles_form.cleaned_data["scope"],
                    **data,
                )
                if request.POST.get("invite"):
                    services.person_invite(person=person, actor=viewer)
                    messages.success(
                        request, _("%(name)s is added and invited.") % {"name": person}
                    )
                else:
                    messages.success(request, _("%(name)s is added.") % {"name": person})
                return redirect("people:profile", pk=person.pk)
            except ApplicationError as exc:
                if exc.code == "scope_forbidden":
                    roles_form.add_error("scope", exc.message)
                else:
                    form.add_error("email" if exc.code == "email_taken" else None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc)
    return render(
        request, "people/person_form.html", {"form": form, "roles_form": roles_form, "person": None}
    )


@role_required(Role.PROGRAM_MANAGER)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    person = _person_or_404(viewer, pk, manage=True)
    units = _units_for(viewer)
    initial = {
        "display_name": person.display_name,
        "email": person.email,
        "job_title": person.job_title,
        "time_zone": person.time_zone,
        "languages": ", ".join(person.languages or []),
        "location": person.location,
        "region": person.region,
        "org_unit": person.org_unit_id,
        "manager_email": person.manager.email if person.manager else "",
    }
    form = PersonForm(request.POST or None, units=units, instance=person, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("email", None)
        unit = data.pop("org_unit")
        if unit is None and rules.managed_unit_paths(viewer) is not None:
            form.add_error("org_unit", _("Choose one of your org units."))
        else:
            try:
                services.person_update(
                    person=person,
                    actor=viewer,
                    org_unit=unit,
                    manager=data.pop("manager_email"),
                    **data,
                )
                messages.success(request, _("Changes to %(name)s are saved.") % {"name": person})
                return redirect("people:profile", pk=person.pk)
            except ApplicationError as exc:
                form.add_error(
                    "manager_email" if exc.code == "manager_cycle" else None, exc.message
                )
            except ValidationError as exc:
                form.add_error(None, exc)
    return render(request, "people/person_form.html", {"form": form, "person": person})


@role_required(Role.PROGRAM_MANAGER)
def person_roles(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    person = _person_or_404(viewer, pk, manage=True)
    units = _units_for(viewer)
    pm = person.role_assignments.filter(role=Role.PROGRAM_MANAGER).first()
    form = RolesForm(
        request.POST or None,
        units=units,
        initial={"roles": sorted(person.roles), "scope": pm.org_unit_id if pm else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_roles_set(
                person=person,
                roles=form.cleaned_data["roles"],
                actor=viewer,
                scope=form.cleaned_data["scope"],
            )
            messages.success(request, _("Roles of %(name)s are saved.") % {"name": person})
            return redirect("people:profile", pk=person.pk)
        except ApplicationError as exc:
            form.add_error("scope" if exc.code == "scope_forbidden" else "roles", exc.message)
    return render(request, "people/person_roles.html", {"form": form, "person": person})


@role_required(Role.PROGRAM_MANAGER)
@require_POST
def person_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    person = _person_or_404(viewer, pk, manage=True)
    try:
        if action == "deactivate":
            services.person_deactivate(person=person, actor=viewer)
            messages.success(request, _("%(name)s is deactivated.") % {"name": person})
        elif action == "reactivate":
            services.person_reactivate(person=person, actor=viewer)
            messages.success(request, _("%(name)s is active again.") % {"name": person})
        elif action == "invite":
            services.person_invite(person=person, actor=viewer)
            messages.success(
                request, _("An invitation is on its way to %(email)s.") % {"email": person.email}
            )
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("people:profile", pk=person.pk)


@role_required(Role.MANAGER)
def team(request: HttpRequest) -> HttpResponse:
    reports = selectors.person_reports(manager=request.user)  # type: ignore[arg-type]
    return render(request, "people/team.html", {"reports": reports})


@role_required(Role.PROGRAM_MANAGER)
def org_units(request: HttpRequest) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    units = _units_for(viewer)
    form = OrgUnitForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        parent = form.cleaned_data["parent"]
        if not rules.can_manage_unit(viewer, parent) and not (
            parent is None and rules.managed_unit_paths(viewer) is None
        ):
            raise PermissionDenied
        unit = services.org_unit_create(
            name=form.cleaned_data["name"],
            code=form.cleaned_data["code"],
            parent=parent,
            actor=viewer,
        )
        messages.success(request, _("“%(name)s” is added.") % {"name": unit.name})
        return redirect("people:org_units")
    return render(request, "people/org_units.html", {"form": form, "units": units})
