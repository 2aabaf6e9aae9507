"""Reads of the people area, with their joins decided here."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from cascade.people.models import AccessToken, OrgUnit, Person, RoleAssignment
from cascade.people.rules import people_scope_q


def people_directory(
    *,
    viewer: Person,
    search: str = "",
    org_unit: OrgUnit | None = None,
    role: str = "",
    include_inactive: bool = False,
) -> QuerySet[Person]:
    """The people a program manager may manage, filtered; fixed query count per page."""
    qs = Person.objects.select_related("org_unit", "manager").prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.only("person_id", "role"))
    )
    scope = people_scope_q(viewer)
    if scope is not None:
        qs = qs.filter(scope)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(display_name__icontains=term)
            | Q(email__icontains=term)
            | Q(job_title__icontains=term)
        )
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    if role:
        qs = qs.filter(role_assignments__role=role).distinct()
    return qs.order_by("display_name", "id")


def person_profile(*, pk: int) -> Person | None:
    return (
        Person.objects.select_related("org_unit", "manager")
        .prefetch_related("role_assignments__org_unit")
        .filter(pk=pk)
        .first()
    )


def person_reports(*, manager: Person) -> QuerySet[Person]:
    return Person.objects.filter(manager=manager, is_active=True).select_related("org_unit")


def org_units_all() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.select_related("parent").order_by("path")


def tokens_for(*, person: Person) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(person=person)
