"""The certification area's API: competency frameworks and rubrics, read only (they are edited
on the pages, as new versions).

Readers are those ``rules.can_read`` admits (program managers, master trainers, trainers).
Anyone else signed in gets 403 on the lists and 404 on a framework or rubric, as if it did not
exist; a draft is 404 to everyone but those who may edit it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from cascade.certification import rules, selectors
from cascade.certification.models import Framework, Rubric, VersionStatus
from cascade.certification.schemas import (
    FrameworkOut,
    FrameworkPage,
    RubricOut,
    RubricPage,
    VersionQuery,
)
from cascade.core.api import ERRORS, PageQuery, paginate
from cascade.core.errors import Forbidden, NotFound
from cascade.people.models import Person

frameworks_router = Router(tags=["competency frameworks"])
rubrics_router = Router(tags=["rubrics"])


def _viewer(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person


def _require_reader(viewer: Person) -> None:
    if not rules.can_read(viewer):
        raise Forbidden(_("Only trainers, master trainers and program managers read these."))


def _shown(viewer: Person, version: Framework | Rubric | None) -> bool:
    if version is None or not rules.can_read(viewer):
        return False
    return version.status != VersionStatus.DRAFT or rules.can_edit(viewer)


def _ref(version: Framework | Rubric) -> dict[str, Any]:
    return {"slug": version.slug, "version": version.version, "name": version.name}


def _head(version: Framework | Rubric) -> dict[str, Any]:
    return {
        "slug": version.slug,
        "version": version.version,
        "name": version.name,
        "description": version.description,
        "status": version.status,
        "published_at": version.published_at,
    }


def _rule(rubric: Rubric) -> dict[str, Any]:
    return {
        "min_each": rubric.min_each,
        "min_critical": rubric.min_critical,
        "min_mean": float(rubric.min_mean),
    }


# --- Frameworks -----------------------------------------------------------------------------


@frameworks_router.get(
    "", response={200: FrameworkPage, **ERRORS}, summary="List competency frameworks"
)
def frameworks_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Each framework's published version, by name (a draft-only one for editors too)."""
    viewer = _viewer(request)
    _require_reader(viewer)
    can_edit = rules.can_edit(viewer)
    items = [
        {
            **_head(line.current),
            "competency_count": line.current.competency_count,  # type: ignore[attr-defined]
            "draft_version": line.draft.version if line.draft else None,
        }
        for line in selectors.framework_lines(drafts=can_edit)
    ]
    return paginate(items, page=paging.page, page_size=paging.page_size)


@frameworks_router.get(
    "/{slug}", response={200: FrameworkOut, **ERRORS}, summary="Read a competency framework"
)
def frameworks_read(request: HttpRequest, slug: str, query: Query[VersionQuery]) -> dict[str, Any]:
    """The published version with its levels and competencies, or the version asked for.
    Retired versions stay readable: past assessments point at them."""
    viewer = _viewer(request)
    framework = selectors.framework_version(slug, query.version)
    if framework is None or not _shown(viewer, framework):
        raise NotFound(_("No such framework version."))
    names, descriptions = list(framework.level_names), list(framework.level_descriptions)
    count = max(len(names), len(descriptions))
    names += [""] * (count - len(names))
    descriptions += [""] * (count - len(descriptions))
    return {
        **_head(framework),
        "levels": [
            {"number": n, "name": names[n - 1], "description": descriptions[n - 1]}
            for n in range(1, count + 1)
        ],
        "competencies": [
            {"code": c.code, "name": c.name, "descriptor": c.descriptor}
            for c in framework.competencies.all()
        ],
    }


# --- Rubrics --------------------------------------------------------------------------------


@rubrics_router.get("", response={200: RubricPage, **ERRORS}, summary="List rubrics")
def rubrics_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Each rubric's published version, by name, with its pass rule; add-ons name the rubric
    they extend."""
    viewer = _viewer(request)
    _require_reader(viewer)
    can_edit = rules.can_edit(viewer)
    items = []
    for line in selectors.rubric_lines(drafts=can_edit):
        rubric = line.current
        items.append(
            {
                **_head(rubric),
                "framework": _ref(rubric.framework),
                "extends": _ref(rubric.extends) if rubric.extends else None,
                "pass_rule": _rule(rubric),
                "criterion_count": rubric.criterion_count,  # type: ignore[attr-defined]
                "draft_version": line.draft.version if line.draft else None,
            }
        )
    return paginate(items, page=paging.page, page_size=paging.page_size)


@rubrics_router.get("/{slug}", response={200: RubricOut, **ERRORS}, summary="Read a rubric")
def rubrics_read(request: HttpRequest, slug: str, query: Query[VersionQuery]) -> dict[str, Any]:
    """The published version (or the one asked for): its criteria with their anchors, whether
    each is critical and the competencies it is evidence for, and the pass rule."""
    viewer = _viewer(request)
    rubric = selectors.rubric_version(slug, query.version)
    if rubric is None or not _shown(viewer, rubric):
        raise NotFound(_("No such rubric version."))
    return {
        **_head(rubric),
        "framework": _ref(rubric.framework),
        "extends": _ref(rubric.extends) if rubric.extends else None,
        "add_ons": [_ref(a) for a in selectors.rubric_add_ons(slug)],
        "pass_rule": _rule(rubric),
        "criteria": [
            {
                "code": c.code,
                "name": c.name,
                "critical": c.critical,
                "anchors": {str(k): str(v) for k, v in c.anchors.items()},
                "competencies": [comp.code for comp in c.competencies.all()],
            }
            for c in rubric.criteria.all()
        ],
    }
