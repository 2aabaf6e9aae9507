"""Certification's writes, one module per concept. The rubric and framework services are
re-exported here because most callers (views, the API, the demo) use them by these names."""

from cascade.certification.services.rubrics import (
    competency_remove,
    competency_save,
    criterion_remove,
    criterion_save,
    defaults_install,
    framework_draft,
    framework_publish,
    framework_update,
    rubric_draft,
    rubric_publish,
    rubric_rule_set,
)

__all__ = [
    "competency_remove",
    "competency_save",
    "criterion_remove",
    "criterion_save",
    "defaults_install",
    "framework_draft",
    "framework_publish",
    "framework_update",
    "rubric_draft",
    "rubric_publish",
    "rubric_rule_set",
]
