"""The API's shapes for people and org units: what a client may send and what it gets back.

Input schemas list only what a client may set: never ``id``, ``is_staff``, ``is_superuser``,
``password`` or ``is_active`` (unknown keys are ignored). Roles have their own input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

# Shared by every area's API (cascade.core.api); re-exported for the people API's callers.
from cascade.core.api import ERRORS as ERRORS
from cascade.core.api import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from cascade.core.api import PageQuery as PageQuery
from cascade.core.api import ProblemOut as ProblemOut
from cascade.core.api import paginate as paginate
from cascade.people.models import Person, Role

LANGUAGE_CODE = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"


# --- Org units ------------------------------------------------------------------------------


class OrgUnitOut(Schema):
    id: int
    name: str
    code: str
    parent_id: int | None
    path: str
    depth: int


class OrgUnitPage(Schema):
    items: list[OrgUnitOut]
    count: int
    page: int
    page_size: int


# The default of PATCH fields that may be left out but not set to null: typed ``Any`` so that a
# ``str`` field can default to None; handlers read ``model_dump(exclude_unset=True)``.
NOT_SENT: Any = None


class _Input(Schema):
    model_config = ConfigDict(str_strip_whitespace=True)


class OrgUnitCreateIn(_Input):
    name: str = Field(min_length=1, max_length=150)
    code: str = Field(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    parent_id: int | None = None


class OrgUnitUpdateIn(_Input):
    """Only the keys sent are changed; ``parent_id: null`` moves the unit to the top."""

    name: str = Field(NOT_SENT, min_length=1, max_length=150)
    parent_id: int | None = None


# --- People ---------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    email: str
    display_name: str
    job_title: str
    time_zone: str
    language: str
    languages: list[str]
    region: str
    location: str
    org_unit_id: int | None
    manager_id: int | None
    roles: list[Role]
    is_active: bool
    date_joined: datetime
    deactivated_at: datetime | None

    @staticmethod
    def resolve_roles(obj: Person) -> list[str]:
        # ``.all()`` uses the selectors' prefetch; ``Person.roles`` would query per person.
        return sorted({a.role for a in obj.role_assignments.all()})


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int


class PeopleQuery(PageQuery):
    search: str = Field("", max_length=100)
    org_unit: int | None = Field(None, description="Only people in this unit and below it.")
    role: Role | None = None
    include_inactive: bool = False


def _normalise_languages(codes: list[str]) -> list[str]:
    return sorted({code.lower() for code in codes})


LanguageCode = Annotated[str, Field(pattern=LANGUAGE_CODE, max_length=17)]
Languages = Annotated[list[LanguageCode], AfterValidator(_normalise_languages)]


_PM_SCOPE = Field(
    None,
    description="The org unit a program manager role covers (with everything below it); "
    "null means the whole organisation, which only organisation-wide program managers grant.",
)


class PersonCreateIn(_Input):
    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(min_length=1, max_length=150)
    org_unit_id: int | None = Field(
        None, description="Required from program managers scoped to org units."
    )
    manager_id: int | None = None
    roles: list[Role] = Field(default_factory=lambda: [Role.LEARNER])
    scope_org_unit_id: int | None = _PM_SCOPE
    job_title: str = Field("", max_length=150)
    time_zone: str = Field("UTC", max_length=64)
    language: str = Field("en", max_length=10)
    languages: Languages = Field(default_factory=list, max_length=20)
    region: str = Field("", max_length=80)
    location: str = Field("", max_length=150)


class PersonUpdateIn(_Input):
    """Only the keys sent are changed; ``null`` clears ``org_unit_id`` or ``manager_id``."""

    display_name: str = Field(NOT_SENT, min_length=1, max_length=150)
    job_title: str = Field(NOT_SENT, max_length=150)
    time_zone: str = Field(NOT_SENT, max_length=64)
    language: str = Field(NOT_SENT, max_length=10)
    languages: Languages = Field(NOT_SENT, max_length=20)
    region: str = Field(NOT_SENT, max_length=80)
    location: str = Field(NOT_SENT, max_length=150)
    org_unit_id: int | None = None
    manager_id: int | None = None


class RolesIn(Schema):
    roles: list[Role]
    scope_org_unit_id: int | None = _PM_SCOPE
