"""Who may see and change whom: the object-level rules of the people area, in one place."""

from __future__ import annotations

from django.db.models import Q

from cascade.people.models import OrgUnit, Person, Role


def managed_unit_paths(viewer: Person) -> list[str] | None:
    """Paths of the org-unit subtrees a program manager runs; None means the whole organisation.

    An empty list means the viewer manages no unit at all.
    """
    if viewer.is_superuser:
        return None
    paths: list[str] = []
    for assignment in viewer.role_assignments.filter(role=Role.PROGRAM_MANAGER).select_related(
        "org_unit"
    ):
        if assignment.org_unit is None:
            return None
        paths.append(assignment.org_unit.path)
    return paths


def people_scope_q(viewer: Person) -> Q | None:
    """A filter for the people a program manager may manage; None when they see everyone.

    Returns ``Q(pk__in=[])`` for viewers who manage nothing.
    """
    if not viewer.has_role(Role.PROGRAM_MANAGER):
        return Q(pk__in=[])
    paths = managed_unit_paths(viewer)
    if paths is None:
        return None
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(org_unit__path__startswith=path)
    return q


def _in_units(person: Person, paths: list[str] | None) -> bool:
    if paths is None:
        return True
    unit_path = person.org_unit.path if person.org_unit_id and person.org_unit else None
    return unit_path is not None and any(unit_path.startswith(p) for p in paths)


def can_manage_person(viewer: Person, person: Person) -> bool:
    """Program managers manage people in their org units (people with no unit: global PMs only).

    A program manager of some units does not manage a program manager whose own scope reaches
    beyond theirs (they could otherwise demote or deactivate an organisation-wide one).
    """
    if not viewer.is_active or not viewer.has_role(Role.PROGRAM_MANAGER):
        return False
    paths = managed_unit_paths(viewer)
    if paths is None:
        return True
    if not _in_units(person, paths):
        return False
    return all(
        a.org_unit is not None and any(a.org_unit.path.startswith(p) for p in paths)
        for a in person.role_assignments.all()
        if a.role == Role.PROGRAM_MANAGER
    )


def can_manage_unit(viewer: Person, unit: OrgUnit | None) -> bool:
    """Creating or changing an org unit needs a program manager whose scope covers it."""
    if not viewer.is_active or not viewer.has_role(Role.PROGRAM_MANAGER):
        return False
    paths = managed_unit_paths(viewer)
    if paths is None:
        return True
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def can_view_person(viewer: Person, person: Person) -> bool:
    """Yourself, your reports (direct or further down), or people in the units you run as a PM."""
    if not viewer.is_active:
        return False
    if viewer.pk == person.pk or viewer.is_superuser:
        return True
    if viewer.has_role(Role.PROGRAM_MANAGER) and _in_units(person, managed_unit_paths(viewer)):
        return True
    # Walk up the person's management chain (bounded) looking for the viewer.
    seen = 0
    manager_id = person.manager_id
    while manager_id is not None and seen < 20:
        if manager_id == viewer.pk:
            return True
        manager_id = (
            Person.objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()
        )
        seen += 1
    return False
