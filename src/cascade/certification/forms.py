"""Forms for editing draft frameworks and rubrics. They only parse input: the rules (a code used
once, four anchors, a pass rule between 1 and 4) live in the services, whose refusals the views
put back on these forms' fields."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cascade.certification.models import LEVELS, Competency, Criterion, Framework, Rubric
from cascade.core.errors import ApplicationError

# Where a service's ``extra["field"]`` lands on a form whose fields are named differently.
_FIELD_ALIASES = {"level_names": "level_1", "anchors": "anchor_1"}


def apply_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's refusal on the field it names, or above the form when it names none."""
    errors: dict[str, list[str]] = exc.extra.get("errors") or {}
    if not errors:
        errors = {str(exc.extra.get("field", "")): [exc.message]}
    for field, messages in errors.items():
        name = _FIELD_ALIASES.get(field, field)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class FrameworkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level in LEVELS:
            self.fields[f"level_{level}"] = forms.CharField(
                label=_("Name of level %(n)s") % {"n": level}, max_length=60
            )

    @classmethod
    def initial_for(cls, framework: Framework) -> dict[str, Any]:
        names = list(framework.level_names) + [""] * len(LEVELS)
        initial: dict[str, Any] = {"name": framework.name, "description": framework.description}
        initial.update({f"level_{level}": names[level - 1] for level in LEVELS})
        return initial

    def level_names(self) -> list[str]:
        return [self.cleaned_data[f"level_{level}"] for level in LEVELS]


class CompetencyForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=10, help_text=_("Short and unique, e.g. C14.")
    )
    name = forms.CharField(label=_("Name"), max_length=150)
    descriptor = forms.CharField(
        label=_("What it looks like"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def initial_for(cls, competency: Competency) -> dict[str, Any]:
        return {
            "code": competency.code,
            "name": competency.name,
            "descriptor": competency.descriptor,
        }


class RuleForm(forms.Form):
    """The pass rule: every criterion at least, critical criteria at least, mean at least."""

    min_each = forms.TypedChoiceField(
        label=_("Every criterion at least"),
        coerce=int,
        choices=[(level, str(level)) for level in LEVELS],
    )
    min_critical = forms.TypedChoiceField(
        label=_("Critical criteria at least"),
        coerce=int,
        choices=[(level, str(level)) for level in LEVELS],
    )
    min_mean = forms.DecimalField(
        label=_("Mean of all criteria at least"),
        max_digits=3,
        decimal_places=2,
        min_value=Decimal(1),
        max_value=Decimal(4),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    @classmethod
    def initial_for(cls, rubric: Rubric) -> dict[str, Any]:
        return {
            "min_each": rubric.min_each,
            "min_critical": rubric.min_critical,
            "min_mean": rubric.min_mean,
        }


class CriterionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=10, help_text=_("e.g. R11."))
    name = forms.CharField(label=_("What is observed"), max_length=150)
    critical = forms.BooleanField(
        label=_("Critical (held to the higher minimum of the pass rule)"), required=False
    )
    competencies = forms.TypedMultipleChoiceField(
        label=_("Evidence for the competencies"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, competencies: Sequence[Competency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain choices, not a queryset: a page with many criteria renders the checkboxes of
        # every one of them from the same list instead of one query each.
        self.fields["competencies"].choices = [  # type: ignore[attr-defined]
            (c.pk, f"{c.code} {c.name}") for c in competencies
        ]
        for level in LEVELS:
            self.fields[f"anchor_{level}"] = forms.CharField(
                label=_("Level %(n)s looks like") % {"n": level},
                max_length=1000,
                error_messages={
                    "required": _("Describe what level %(n)s looks like.") % {"n": level}
                },
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        # Anchors right after the name: the order people read a rubric line in.
        order = ["code", "name", *(f"anchor_{level}" for level in LEVELS)]
        self.order_fields(order)

    @classmethod
    def initial_for(cls, criterion: Criterion) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "code": criterion.code,
            "name": criterion.name,
            "critical": criterion.critical,
            "competencies": [c.pk for c in criterion.competencies.all()],
        }
        initial.update(
            {f"anchor_{level}": criterion.anchors.get(str(level), "") for level in LEVELS}
        )
        return initial

    def anchors(self) -> dict[str, str]:
        return {str(level): self.cleaned_data[f"anchor_{level}"] for level in LEVELS}
