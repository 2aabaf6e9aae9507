"""Reads of frameworks and rubrics, with their joins decided here so each page and endpoint
does a fixed number of queries whatever the number of competencies, criteria or versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Count, Prefetch, QuerySet

from cascade.certification.models import Competency, Criterion, Framework, Rubric, VersionStatus

VersionT = TypeVar("VersionT", Framework, Rubric)

_CRITERIA = Prefetch(
    "criteria",
    queryset=Criterion.objects.order_by("position", "id").prefetch_related(
        Prefetch("competencies", queryset=Competency.objects.order_by("position", "id"))
    ),
)
_COMPETENCIES = Prefetch("competencies", queryset=Competency.objects.order_by("position", "id"))


@dataclass
class Line(Generic[VersionT]):
    """One framework or rubric (all versions sharing a slug): what is in force, and the draft
    being prepared, if any."""

    slug: str
    published: VersionT | None = None
    draft: VersionT | None = None

    @property
    def current(self) -> VersionT:
        """What the list shows: the published version, or the draft when nothing is published."""
        shown = self.published or self.draft
        assert shown is not None  # a line is only made from a version
        return shown


def _lines(versions: QuerySet[VersionT], *, drafts: bool) -> list[Line[VersionT]]:
    statuses = [VersionStatus.PUBLISHED, *([VersionStatus.DRAFT] if drafts else [])]
    lines: dict[str, Line[VersionT]] = {}
    for version in versions.filter(status__in=statuses):
        line = lines.setdefault(version.slug, Line(slug=version.slug))
        if version.status == VersionStatus.PUBLISHED:
            line.published = version
        else:
            line.draft = version
    return list(lines.values())


def framework_lines(*, drafts: bool) -> list[Line[Framework]]:
    """Every framework with its published version and, with ``drafts``, the draft being
    prepared; with competency counts (one query). Retired versions are left out."""
    return _lines(
        Framework.objects.annotate(competency_count=Count("competencies")).order_by(
            "name", "slug", "-version"
        ),
        drafts=drafts,
    )


def framework_version(slug: str, version: int | None = None) -> Framework | None:
    """A version with its competencies; the published one when no number is given."""
    versions = Framework.objects.filter(slug=slug).prefetch_related(_COMPETENCIES)
    if version is None:
        return versions.filter(status=VersionStatus.PUBLISHED).first()
    return versions.filter(version=version).first()


def framework_draft(slug: str) -> Framework | None:
    return (
        Framework.objects.filter(slug=slug, status=VersionStatus.DRAFT)
        .prefetch_related(_COMPETENCIES)
        .first()
    )


def framework_versions(slug: str) -> QuerySet[Framework]:
    """Every version of a framework, newest first (for the version history)."""
    return (
        Framework.objects.filter(slug=slug)
        .order_by("-version")
        .only("slug", "version", "name", "status", "published_at")
    )


def rubric_lines(*, drafts: bool) -> list[Line[Rubric]]:
    """Every rubric with its published version and, with ``drafts``, the draft being prepared;
    with the rubric it extends and criteria counts (one query). Retired versions are left
    out."""
    return _lines(
        Rubric.objects.select_related("extends")
        .annotate(criterion_count=Count("criteria"))
        .order_by("name", "slug", "-version"),
        drafts=drafts,
    )


def _rubrics() -> QuerySet[Rubric]:
    return Rubric.objects.select_related("framework", "extends").prefetch_related(_CRITERIA)


def rubric_version(slug: str, version: int | None = None) -> Rubric | None:
    """A version with its framework, the rubric it extends, and its criteria with their
    competencies; the published one when no number is given."""
    versions = _rubrics().filter(slug=slug)
    if version is None:
        return versions.filter(status=VersionStatus.PUBLISHED).first()
    return versions.filter(version=version).first()


def rubric_draft(slug: str) -> Rubric | None:
    return _rubrics().filter(slug=slug, status=VersionStatus.DRAFT).first()


def rubric_versions(slug: str) -> QuerySet[Rubric]:
    return (
        Rubric.objects.filter(slug=slug)
        .order_by("-version")
        .only("slug", "version", "name", "status", "published_at")
    )


def rubric_add_ons(slug: str) -> QuerySet[Rubric]:
    """Published add-ons scored with this rubric. By slug, not by version: an add-on extends
    the rubric, whichever of its versions it was written against."""
    return Rubric.objects.filter(extends__slug=slug, status=VersionStatus.PUBLISHED).order_by(
        "name"
    )
