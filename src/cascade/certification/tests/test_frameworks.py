"""Frameworks and rubrics: the shipped defaults, drafts that become new versions, and the
rules that keep a published version unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cascade.certification import defaults, services
from cascade.certification.models import Competency, Criterion, Framework, Rubric
from cascade.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_defaults_install_once(program_manager):
    framework, teach_back, virtual = services.defaults_install(actor=program_manager)
    services.defaults_install(actor=program_manager)

    assert Framework.objects.count() == 1
    assert framework.competencies.count() == 13
    assert framework.level_names == ["Foundational", "Proficient", "Advanced", "Expert"]
    assert teach_back.criteria.count() == 10
    assert list(teach_back.criteria.filter(critical=True).values_list("code", flat=True)) == ["R2"]
    assert (teach_back.min_each, teach_back.min_critical, teach_back.min_mean) == (2, 3, Decimal(3))
    assert virtual.extends == teach_back
    assert virtual.criteria.count() == 3
    questioning = teach_back.criteria.get(code="R6")
    assert list(questioning.competencies.values_list("code", flat=True)) == ["C07"]
    assert all(set(c.anchors) == {"1", "2", "3", "4"} for c in Criterion.objects.all())
    assert not Criterion.objects.filter(competencies=None).exists()


def test_a_new_framework_version_leaves_the_published_one_alone(program_manager):
    framework, _tb, _v = services.defaults_install(actor=program_manager)
    draft = services.framework_draft(slug=defaults.FRAMEWORK_SLUG, actor=program_manager)
    assert services.framework_draft(slug=defaults.FRAMEWORK_SLUG, actor=program_manager) == draft
    assert draft.version == 2
    assert draft.competencies.count() == 13

    services.competency_save(framework=draft, code="c14", name="Digital safety", descriptor="...")
    with pytest.raises(ApplicationError) as exc:
        services.competency_save(framework=draft, code="C01", name="Again")
    assert exc.value.code == "duplicate_code"
    with pytest.raises(ApplicationError) as exc:
        services.competency_save(framework=framework, code="C99", name="Sneaky")
    assert exc.value.code == "not_draft"

    services.framework_publish(framework=draft, actor=program_manager)

    framework.refresh_from_db()
    assert framework.status == "retired"
    assert framework.competencies.count() == 13
    assert Framework.objects.get(slug=defaults.FRAMEWORK_SLUG, status="published").version == 2
    assert Competency.objects.filter(framework=draft, code="C14").exists()


def test_a_new_rubric_version_with_its_rule_and_criteria(program_manager):
    _f, teach_back, _v = services.defaults_install(actor=program_manager)
    draft = services.rubric_draft(slug=defaults.TEACH_BACK_SLUG, actor=program_manager)
    assert draft.criteria.count() == 10
    assert draft.criteria.get(code="R6").competencies.get().code == "C07"

    services.rubric_rule_set(rubric=draft, min_each=2, min_critical=3, min_mean=Decimal("2.75"))
    with pytest.raises(ApplicationError):
        services.rubric_rule_set(rubric=draft, min_each=5, min_critical=3, min_mean=Decimal(3))
    with pytest.raises(ApplicationError) as exc:
        services.criterion_save(
            rubric=draft, code="R11", name="Safety briefing", anchors={"1": "None", "2": "Brief"}
        )
    assert exc.value.code == "anchors"
    c07 = draft.framework.competencies.get(code="C04")
    services.criterion_save(
        rubric=draft,
        code="r11",
        name="Safety briefing",
        anchors={1: "None", 2: "Mentioned", 3: "Clear, with the why", 4: "Learners lead it"},
        critical=True,
        competency_ids=[c07.pk],
    )
    services.rubric_publish(rubric=draft, actor=program_manager)

    teach_back.refresh_from_db()
    assert teach_back.status == "retired"
    assert teach_back.criteria.count() == 10
    published = Rubric.objects.get(slug=defaults.TEACH_BACK_SLUG, status="published")
    assert published.min_mean == Decimal("2.75")
    assert set(published.criteria.filter(critical=True).values_list("code", flat=True)) == {
        "R2",
        "R11",
    }


def test_a_rubric_cannot_publish_with_an_unmapped_criterion(program_manager):
    services.defaults_install(actor=program_manager)
    draft = services.rubric_draft(slug=defaults.TEACH_BACK_SLUG, actor=program_manager)
    services.criterion_save(
        rubric=draft, code="R11", name="Loose", anchors={1: "a", 2: "b", 3: "c", 4: "d"}
    )
    with pytest.raises(ApplicationError) as exc:
        services.rubric_publish(rubric=draft, actor=program_manager)
    assert exc.value.code == "unmapped"
    draft.refresh_from_db()
    assert draft.status == "draft"
