"""Certification's reads, one module per concept; the rubric and framework selectors are
re-exported here under the names their callers use."""

from cascade.certification.selectors.rubrics import (
    Line,
    framework_draft,
    framework_lines,
    framework_version,
    framework_versions,
    rubric_add_ons,
    rubric_draft,
    rubric_lines,
    rubric_version,
    rubric_versions,
)

__all__ = [
    "Line",
    "framework_draft",
    "framework_lines",
    "framework_version",
    "framework_versions",
    "rubric_add_ons",
    "rubric_draft",
    "rubric_lines",
    "rubric_version",
    "rubric_versions",
]
