"""The API's shapes for competency frameworks and rubrics (read only: they are edited on the
pages, as new versions).

A version is named by its ``slug`` and ``version`` number; competencies and criteria by their
``code``, which is stable across versions, unlike database ids.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from cascade.certification.models import VersionStatus


class _Page(Schema):
    count: int
    page: int
    page_size: int


class VersionQuery(Schema):
    version: int | None = Field(
        None, ge=1, le=2**31 - 1, description="A version number; the published one if left out."
    )


# --- Frameworks -----------------------------------------------------------------------------


class LevelOut(Schema):
    number: int = Field(description="1 is the lowest.")
    name: str
    description: str


class CompetencyOut(Schema):
    code: str
    name: str
    descriptor: str = Field(description="What the competency looks like in practice.")


class FrameworkSummaryOut(Schema):
    slug: str
    version: int
    name: str
    description: str
    status: VersionStatus
    published_at: datetime | None
    competency_count: int
    draft_version: int | None = Field(
        None,
        description="The draft being prepared; only shown to those who may edit frameworks.",
    )


class FrameworkPage(_Page):
    items: list[FrameworkSummaryOut]


class FrameworkOut(Schema):
    slug: str
    version: int
    name: str
    description: str
    status: VersionStatus
    published_at: datetime | None
    levels: list[LevelOut]
    competencies: list[CompetencyOut]


# --- Rubrics --------------------------------------------------------------------------------


class VersionRef(Schema):
    slug: str
    version: int
    name: str


class PassRuleOut(Schema):
    """Pass when every criterion scores at least ``min_each``, every critical one at least
    ``min_critical``, and the mean of all criteria at least ``min_mean``."""

    min_each: int
    min_critical: int
    min_mean: float


class CriterionOut(Schema):
    code: str
    name: str
    critical: bool = Field(description="Held to the pass rule's min_critical.")
    anchors: dict[str, str] = Field(
        description='What each level looks like, keyed "1" (lowest) to "4".'
    )
    competencies: list[str] = Field(description="Codes of the competencies it gives evidence for.")


class RubricSummaryOut(Schema):
    slug: str
    version: int
    name: str
    description: str
    status: VersionStatus
    published_at: datetime | None
    framework: VersionRef = Field(description="The framework version its criteria map to.")
    extends: VersionRef | None = Field(
        description="For an add-on: the rubric it is scored together with."
    )
    pass_rule: PassRuleOut
    criterion_count: int
    draft_version: int | None = Field(
        None, description="The draft being prepared; only shown to those who may edit rubrics."
    )


class RubricPage(_Page):
    items: list[RubricSummaryOut]


class RubricOut(Schema):
    slug: str
    version: int
    name: str
    description: str
    status: VersionStatus
    published_at: datetime | None
    framework: VersionRef
    extends: VersionRef | None
    add_ons: list[VersionRef] = Field(description="Published add-ons scored with this rubric.")
    pass_rule: PassRuleOut
    criteria: list[CriterionOut]
