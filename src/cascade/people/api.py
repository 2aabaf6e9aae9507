"""The people area's API: people (directory, profiles, roles, deactivation) and org units.

Handlers parse (``schemas``), authorise (``rules``), call one service or selector, and return.
``request.auth`` is the calling ``Person`` (``cascade.api.auth``); errors become problem
documents in ``cascade.api.errors``. Someone who may not see a person gets a 404 for them, so
ids cannot be probed; someone who may see but not change them gets a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cascade.core.errors import ApplicationError, Forbidden, NotFound
from cascade.people import rules, selectors, services
from cascade.people.models import OrgUnit, Person, Role
from cascade.people.schemas import (
    ERRORS,
    OrgUnitCreateIn,
    OrgUnitOut,
    OrgUnitPage,
    OrgUnitUpdateIn,
    PageQuery,
    PeopleQuery,
    PersonCreateIn,
    PersonOut,
    PersonPage,
    PersonUpdateIn,
    RolesIn,
    paginate,
)

people_router = Router(tags=["people"])
org_units_router = Router(tags=["org units"])


# --- Helpers: who is asking, and the objects they name --------------------------------------


def _viewer(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person


def _require_program_manager(viewer: Person) -> None:
    if not viewer.has_role(Role.PROGRAM_MANAGER):
        raise Forbidden(_("Only program managers may do this."))


def _visible_person(viewer: Person, pk: int) -> Person:
    person = selectors.person_profile(pk=pk)
    if person is None or not rules.can_view_person(viewer, person):
        # The same answer whether the person is missing or hidden.
        raise NotFound(_("No such person."))
    return person


def _managed_person(viewer: Person, pk: int) -> Person:
    _require_program_manager(viewer)
    person = _visible_person(viewer, pk)
    if not rules.can_manage_person(viewer, person):
        raise Forbidden(_("You do not manage this person's org unit."))
    return person


def _unit(pk: int | None) -> OrgUnit | None:
    """The org unit a request body names (None for None); an unknown id is a 400."""
    if pk is None:
        return None
    unit = selectors.org_units_all().filter(pk=pk).first()
    if unit is None:
        raise ApplicationError(
            _("There is no org unit with id %(id)s.") % {"id": pk}, code="unknown_org_unit"
        )
    return unit


def _unit_or_404(pk: int) -> OrgUnit:
    unit = selectors.org_units_all().filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("No such org unit."))
    return unit


def _placement_unit(viewer: Person, pk: int | None) -> OrgUnit | None:
    """The unit a program manager puts a person in: one of theirs (any, if organisation-wide)."""
    unit = _unit(pk)
    if unit is None and rules.managed_unit_paths(viewer) is not None:
        raise ApplicationError(
            _("Choose one of your org units for this person."), code="org_unit_required"
        )
    if not rules.can_manage_unit(viewer, unit):
        raise Forbidden(_("You do not manage that org unit."))
    return unit


def _manager(pk: int | None) -> Person | None:
    if pk is None:
        return None
    manager = selectors.person_profile(pk=pk)
    if manager is None:
        raise ApplicationError(
            _("There is no person with id %(id)s.") % {"id": pk}, code="unknown_manager"
        )
    return manager


def _fresh(person: Person) -> Person:
    """Re-read after a write, so roles and joins are what the database now says."""
    fresh = selectors.person_profile(pk=person.pk)
    assert fresh is not None
    return fresh


# --- People ---------------------------------------------------------------------------------


@people_router.get("", response={200: PersonPage, **ERRORS}, summary="List people")
def people_list(request: HttpRequest, filters: Query[PeopleQuery]) -> dict[str, Any]:
    """The people a program manager manages, filtered, ordered by name; program managers only."""
    viewer = _viewer(request)
    _require_program_manager(viewer)
    people = selectors.people_directory(
        viewer=viewer,
        search=filters.search,
        org_unit=_unit(filters.org_unit),
        role=filters.role.value if filters.role else "",
        include_inactive=filters.include_inactive,
    )
    return paginate(people, page=filters.page, page_size=filters.page_size)


@people_router.get("/me", response={200: PersonOut, **ERRORS}, summary="Who am I")
def people_me(request: HttpRequest) -> Person:
    return _fresh(_viewer(request))


@people_router.get("/{int:person_id}", response={200: PersonOut, **ERRORS}, summary="Read a person")
def people_read(request: HttpRequest, person_id: int) -> Person:
    """Yourself, the people below you in the management chain, or people you manage."""
    return _visible_person(_viewer(request), person_id)


@people_router.post("", response={201: PersonOut, **ERRORS}, summary="Add a person")
def people_create(request: HttpRequest, payload: PersonCreateIn) -> Status[Person]:
    viewer = _viewer(request)
    _require_program_manager(viewer)
    data = payload.model_dump()
    person = services.person_create(
        actor=viewer,
        email=data.pop("email"),
        display_name=data.pop("display_name"),
        org_unit=_placement_unit(viewer, data.pop("org_unit_id")),
        manager=_manager(data.pop("manager_id")),
        roles=[Role(r).value for r in data.pop("roles")],
        scope=_unit(data.pop("scope_org_unit_id")),
        **data,
    )
    return Status(201, _fresh(person))


@people_router.patch(
    "/{int:person_id}", response={200: PersonOut, **ERRORS}, summary="Change a person"
)
def people_update(request: HttpRequest, person_id: int, payload: PersonUpdateIn) -> Person:
    """Profile fields, org unit and manager; only the keys sent change."""
    viewer = _viewer(request)
    person = _managed_person(viewer, person_id)
    data = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "org_unit_id" in data:
        changes["org_unit"] = _placement_unit(viewer, data.pop("org_unit_id"))
    if "manager_id" in data:
        changes["manager"] = _manager(data.pop("manager_id"))
    services.person_update(person=person, actor=viewer, **changes, **data)
    return _fresh(person)


@people_router.put(
    "/{int:person_id}/roles", response={200: PersonOut, **ERRORS}, summary="Set a person's roles"
)
def people_roles_set(request: HttpRequest, person_id: int, payload: RolesIn) -> Person:
    """Replace the roles; program management is scoped to ``scope_org_unit_id``."""
    viewer = _viewer(request)
    person = _managed_person(viewer, person_id)
    services.person_roles_set(
        person=person,
        roles=[Role(r).value for r in payload.roles],
        actor=viewer,
        scope=_unit(payload.scope_org_unit_id),
    )
    return _fresh(person)


@people_router.post(
    "/{int:person_id}/deactivate",
    response={200: PersonOut, **ERRORS},
    summary="Deactivate a person",
)
def people_deactivate(request: HttpRequest, person_id: int) -> Person:
    """They can no longer sign in and their tokens are revoked; their history stays."""
    viewer = _viewer(request)
    person = _managed_person(viewer, person_id)
    services.person_deactivate(person=person, actor=viewer)
    return _fresh(person)


# --- Org units ------------------------------------------------------------------------------


@org_units_router.get("", response={200: OrgUnitPage, **ERRORS}, summary="List org units")
def org_units_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Every org unit, in tree order (by path); anyone signed in."""
    return paginate(selectors.org_units_all(), page=paging.page, page_size=paging.page_size)


@org_units_router.get(
    "/{int:unit_id}", response={200: OrgUnitOut, **ERRORS}, summary="Read an org unit"
)
def org_units_read(request: HttpRequest, unit_id: int) -> OrgUnit:
    return _unit_or_404(unit_id)


@org_units_router.post("", response={201: OrgUnitOut, **ERRORS}, summary="Add an org unit")
def org_units_create(request: HttpRequest, payload: OrgUnitCreateIn) -> Status[OrgUnit]:
    """Under a unit the program manager runs; at the top only for organisation-wide ones."""
    viewer = _viewer(request)
    parent = _unit(payload.parent_id)
    if not rules.can_manage_unit(viewer, parent):
        raise Forbidden(_("You do not manage that org unit."))
    unit = services.org_unit_create(
        name=payload.name, code=payload.code, parent=parent, actor=viewer
    )
    return Status(201, unit)


@org_units_router.patch(
    "/{int:unit_id}", response={200: OrgUnitOut, **ERRORS}, summary="Rename or move an org unit"
)
def org_units_update(request: HttpRequest, unit_id: int, payload: OrgUnitUpdateIn) -> OrgUnit:
    viewer = _viewer(request)
    unit = _unit_or_404(unit_id)
    if not rules.can_manage_unit(viewer, unit):
        raise Forbidden(_("You do not manage this org unit."))
    data = payload.model_dump(exclude_unset=True)
    parent: OrgUnit | Any | None = ...
    if "parent_id" in data:
        parent = _unit(data["parent_id"])
        if not rules.can_manage_unit(viewer, parent):
            raise Forbidden(_("You do not manage the org unit you are moving it to."))
    return services.org_unit_update(unit=unit, actor=viewer, name=data.get("name"), parent=parent)
