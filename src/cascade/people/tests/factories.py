"""factory_boy factories for the people area, used by every area's tests."""

from __future__ import annotations

from typing import Any

import factory

from cascade.people.models import OrgUnit, Person, RoleAssignment

TEST_PASSWORD = "pass-word-123"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Unit {n}")
    code = factory.Sequence(lambda n: f"unit-{n}")

    @factory.post_generation
    def _path(obj: OrgUnit, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            if obj.parent_id:
                obj.path = f"{obj.parent.path}{obj.pk}/"  # type: ignore[union-attr]
                obj.depth = obj.parent.depth + 1  # type: ignore[union-attr]
            else:
                obj.path, obj.depth = f"/{obj.pk}/", 0
            obj.save(update_fields=["path", "depth"])


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(obj: Person, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            RoleAssignment.objects.bulk_create(
                RoleAssignment(person=obj, role=r) for r in extracted
            )
            obj.forget_roles()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    """A role, optionally scoped to an org unit (program managers of some units)."""

    class Meta:
        model = RoleAssignment
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    role = "learner"
    org_unit = None

    @factory.post_generation
    def _forget_cached_roles(obj: RoleAssignment, create: bool, extracted: Any, **kw: Any) -> None:
        obj.person.forget_roles()
