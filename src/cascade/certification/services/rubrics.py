"""Writes of certification: installing the defaults, and editing frameworks and rubrics as
drafts that are published as new versions (a published version never changes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.certification import defaults
from cascade.certification.models import (
    LEVELS,
    Competency,
    Criterion,
    Framework,
    Rubric,
    VersionStatus,
)
from cascade.core.errors import ApplicationError, clean_or_raise
from cascade.core.services import audit_record
from cascade.people.models import Person


def _editable(obj: Framework | Rubric) -> None:
    if obj.status != VersionStatus.DRAFT:
        raise ApplicationError(
            _("A published version cannot change; start a new version."), code="not_draft"
        )


# --- Defaults ------------------------------------------------------------------------------


@transaction.atomic
def defaults_install(*, actor: Person | None = None) -> tuple[Framework, Rubric, Rubric]:
    """Install the default framework, teach-back rubric and virtual add-on once (idempotent:
    anything already there, in any version, is left alone)."""
    framework = Framework.objects.filter(slug=defaults.FRAMEWORK_SLUG).order_by("-version").first()
    if framework is None:
        framework = Framework.objects.create(
            slug=defaults.FRAMEWORK_SLUG,
            name="Trainer competencies",
            description="What a trainer knows and does, at four levels of proficiency.",
            level_names=defaults.LEVEL_NAMES,
            level_descriptions=defaults.LEVEL_DESCRIPTIONS,
            status=VersionStatus.PUBLISHED,
            published_at=timezone.now(),
            created_by=actor,
        )
        Competency.objects.bulk_create(
            Competency(framework=framework, code=c, name=n, descriptor=d, position=i)
            for i, (c, n, d) in enumerate(defaults.COMPETENCIES)
        )
    by_code = {c.code: c for c in framework.competencies.all()}
    teach_back = _rubric_default(
        defaults.TEACH_BACK_SLUG,
        "Teach-back observation",
        "Ten behaviourally anchored criteria; 3 is the certification standard.",
        framework,
        defaults.TEACH_BACK,
        by_code,
        actor,
        extends=None,
    )
    virtual = _rubric_default(
        defaults.VIRTUAL_SLUG,
        "Virtual delivery add-on",
        "Scored with the teach-back rubric when the session is delivered online.",
        framework,
        defaults.VIRTUAL,
        by_code,
        actor,
        extends=teach_back,
    )
    return framework, teach_back, virtual


def _rubric_default(
    slug: str,
    name: str,
    description: str,
    framework: Framework,
    rows: list[tuple[str, str, bool, tuple[str, str, str, str], tuple[str, ...]]],
    by_code: dict[str, Competency],
    actor: Person | None,
    *,
    extends: Rubric | None,
) -> Rubric:
    existing = Rubric.objects.filter(slug=slug).order_by("-version").first()
    if existing is not None:
        return existing
    rubric = Rubric.objects.create(
        slug=slug,
        name=name,
        description=description,
        framework=framework,
        extends=extends,
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now(),
        created_by=actor,
    )
    for i, (code, title, critical, anchors, competencies) in enumerate(rows):
        criterion = Criterion.objects.create(
            rubric=rubric,
            code=code,
            name=title,
            critical=critical,
            anchors={str(level): text for level, text in zip(LEVELS, anchors, strict=True)},
            position=i,
        )
        criterion.competencies.set([by_code[c] for c in competencies if c in by_code])
    return rubric


# --- Frameworks -----------------------------------------------------------------------------


def _next_version(model: type[Framework] | type[Rubric], slug: str) -> int:
    return int(model.objects.filter(slug=slug).aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def framework_draft(*, slug: str, actor: Person) -> Framework:
    """The framework's draft, started from the published version when there is none."""
    draft = Framework.objects.filter(slug=slug, status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    source = Framework.objects.filter(slug=slug).order_by("-version").first()
    if source is None:
        raise ApplicationError(_("No such framework."), code="not_found", status=404)
    try:
        with transaction.atomic():
            draft = Framework.objects.create(
                slug=slug,
                version=_next_version(Framework, slug),
                name=source.name,
                description=source.description,
                level_names=list(source.level_names),
                level_descriptions=list(source.level_descriptions),
                created_by=actor,
            )
    except IntegrityError:  # someone else started the draft at the same moment
        return Framework.objects.get(slug=slug, status=VersionStatus.DRAFT)
    Competency.objects.bulk_create(
        Competency(
            framework=draft, code=c.code, name=c.name, descriptor=c.descriptor, position=c.position
        )
        for c in source.competencies.all()
    )
    audit_record(actor=actor, action="certification.framework.draft", target=draft)
    return draft


@transaction.atomic
def framework_update(
    *, framework: Framework, actor: Person, name: str, description: str, level_names: list[str]
) -> Framework:
    _editable(framework)
    names = [n.strip() for n in level_names]
    if len(names) != len(LEVELS) or not all(names):
        raise ApplicationError(
            _("Name all four levels."), code="level_names", extra={"field": "level_names"}
        )
    framework.name, framework.description, framework.level_names = name.strip(), description, names
    clean_or_raise(framework)
    framework.save()
    return framework


@transaction.atomic
def competency_save(
    *,
    framework: Framework,
    code: str,
    name: str,
    descriptor: str = "",
    competency: Competency | None = None,
) -> Competency:
    """Add a competency to a draft, or change one of its competencies."""
    _editable(framework)
    if competency is not None and competency.framework_id != framework.pk:
        raise ApplicationError(_("Not in this framework."), code="wrong_framework", status=404)
    item = competency or Competency(framework=framework, position=framework.competencies.count())
    item.code, item.name, item.descriptor = code.strip().upper(), name.strip(), descriptor.strip()
    clean_or_raise(item, constraints=False)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("Another competency already has the code %(code)s.") % {"code": item.code},
            code="duplicate_code",
            extra={"field": "code"},
        ) from exc
    return item


@transaction.atomic
def competency_remove(*, competency: Competency) -> None:
    _editable(competency.framework)
    competency.delete()


@transaction.atomic
def framework_publish(*, framework: Framework, actor: Person) -> Framework:
    """Publish the draft; the version it replaces is retired (and stays readable)."""
    _editable(framework)
    if not framework.competencies.exists():
        raise ApplicationError(_("Add at least one competency."), code="empty")
    Framework.objects.filter(slug=framework.slug, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED
    )
    framework.status = VersionStatus.PUBLISHED
    framework.published_at = timezone.now()
    framework.save(update_fields=["status", "published_at"])
    audit_record(actor=actor, action="certification.framework.published", target=framework)
    return framework


# --- Rubrics --------------------------------------------------------------------------------


@transaction.atomic
def rubric_draft(*, slug: str, actor: Person) -> Rubric:
    """The rubric's draft, started from the latest version, mapped to the framework's current
    published version (criteria keep their competencies by code)."""
    draft = Rubric.objects.filter(slug=slug, status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    source = Rubric.objects.filter(slug=slug).order_by("-version").first()
    if source is None:
        raise ApplicationError(_("No such rubric."), code="not_found", status=404)
    framework = (
        Framework.objects.filter(slug=source.framework.slug, status=VersionStatus.PUBLISHED).first()
        or source.framework
    )
    try:
        with transaction.atomic():
            draft = Rubric.objects.create(
                slug=slug,
                version=_next_version(Rubric, slug),
                name=source.name,
                description=source.description,
                framework=framework,
                extends=source.extends,
                min_each=source.min_each,
                min_critical=source.min_critical,
                min_mean=source.min_mean,
                created_by=actor,
            )
    except IntegrityError:
        return Rubric.objects.get(slug=slug, status=VersionStatus.DRAFT)
    by_code = {c.code: c for c in framework.competencies.all()}
    for old in source.criteria.prefetch_related("competencies"):
        new = Criterion.objects.create(
            rubric=draft,
            code=old.code,
            name=old.name,
            anchors=dict(old.anchors),
            critical=old.critical,
            position=old.position,
        )
        new.competencies.set([by_code[c.code] for c in old.competencies.all() if c.code in by_code])
    audit_record(actor=actor, action="certification.rubric.draft", target=draft)
    return draft


def _clean_anchors(anchors: dict[Any, Any]) -> dict[str, str]:
    cleaned = {
        str(level): str(anchors.get(str(level), anchors.get(level, ""))).strip() for level in LEVELS
    }
    if not all(cleaned.values()):
        raise ApplicationError(
            _("Describe what each level (1 to 4) looks like."),
            code="anchors",
            extra={"field": "anchors"},
        )
    return cleaned


@transaction.atomic
def criterion_save(
    *,
    rubric: Rubric,
    code: str,
    name: str,
    anchors: dict[Any, Any],
    critical: bool = False,
    competency_ids: list[int] | None = None,
    criterion: Criterion | None = None,
) -> Criterion:
    """Add or change a criterion of a draft rubric, with its anchors and competencies."""
    _editable(rubric)
    if criterion is not None and criterion.rubric_id != rubric.pk:
        raise ApplicationError(_("Not in this rubric."), code="wrong_rubric", status=404)
    item = criterion or Criterion(rubric=rubric, position=rubric.criteria.count())
    item.code, item.name, item.critical = code.strip().upper(), name.strip(), critical
    item.anchors = _clean_anchors(anchors)
    clean_or_raise(item, constraints=False)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("Another criterion already has the code %(code)s.") % {"code": item.code},
            code="duplicate_code",
            extra={"field": "code"},
        ) from exc
    if competency_ids is not None:
        competencies = list(rubric.framework.competencies.filter(pk__in=competency_ids))
        if len(competencies) != len(set(competency_ids)):
            raise ApplicationError(
                _("Choose competencies of this rubric's framework."),
                code="competencies",
                extra={"field": "competencies"},
            )
        item.competencies.set(competencies)
    return item


@transaction.atomic
def criterion_remove(*, criterion: Criterion) -> None:
    _editable(criterion.rubric)
    criterion.delete()


@transaction.atomic
def rubric_rule_set(
    *, rubric: Rubric, min_each: int, min_critical: int, min_mean: Decimal
) -> Rubric:
    """Change the pass rule of a draft (every criterion ≥, critical ≥, mean ≥)."""
    _editable(rubric)
    rubric.min_each, rubric.min_critical, rubric.min_mean = min_each, min_critical, min_mean
    clean_or_raise(rubric)
    rubric.save(update_fields=["min_each", "min_critical", "min_mean"])
    return rubric


@transaction.atomic
def rubric_publish(*, rubric: Rubric, actor: Person) -> Rubric:
    _editable(rubric)
    criteria = list(rubric.criteria.prefetch_related("competencies"))
    if not criteria:
        raise ApplicationError(_("Add at least one criterion."), code="empty")
    unmapped = [c.code for c in criteria if not c.competencies.all()]
    if unmapped:
        raise ApplicationError(
            _("Map every criterion to a competency (missing: %(codes)s).")
            % {"codes": ", ".join(unmapped)},
            code="unmapped",
        )
    Rubric.objects.filter(slug=rubric.slug, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED
    )
    rubric.status = VersionStatus.PUBLISHED
    rubric.published_at = timezone.now()
    rubric.save(update_fields=["status", "published_at"])
    audit_record(actor=actor, action="certification.rubric.published", target=rubric)
    return rubric
