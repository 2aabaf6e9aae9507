"""The form program managers edit one rung of the ladder with: one input per requirement key of
:mod:`cascade.certification.ladder`, so nobody types JSON.

The form parses (whole numbers, decimals, known levels) and builds the rule objects; what makes a
rule valid (counts from 0 to 100, hours of 0 or more...) is decided once, by
``ladder.validate_requirements`` inside ``ladder_rule_save``, whose refusals
:meth:`LadderRuleForm.apply_rule_error` puts back on the field they name. A blank input means
"not required": the key is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cascade.certification.models import Level
from cascade.certification.selectors.awards import Rule
from cascade.core.errors import ApplicationError

COUNT_KEYS = (
    "programs_completed",
    "teach_backs_passed",
    "co_deliveries",
    "lead_deliveries",
    "solo_observed",
)
COMPETENCY_PREFIX = "competency_"
RENEWAL_PREFIX = "renewal_"
COMPETENCY_LEVELS = (1, 2, 3, 4)

# Renewal keys whose names would be ambiguous or absent among the requirement fields. A
# ``calibrated`` error lands on the requirement's checkbox: a checkbox cannot send a non-boolean.
_ERROR_FIELDS = {
    "renewal.deliveries": "renewal_deliveries",
    "renewal.re_observation": "renewal_re_observation",
    "renewal.development_hours": "renewal_development_hours",
    "renewal.calibrated": "renewal_calibrated",
}


def _count(label: Any) -> forms.IntegerField:
    # No bounds here: the range is the ladder's rule, reported by the service on this field.
    return forms.IntegerField(label=label, required=False)


def _sentence(message: str) -> str:
    """``ladder`` words its refusals as fragments ("must be ..."); a field error is a sentence."""
    message = message.strip()
    return f"{message[:1].upper()}{message[1:]}{'' if message.endswith('.') else '.'}"


def _number(value: Decimal | None) -> float | None:
    """JSON has no decimals; the ladder compares with floats."""
    return None if value is None else float(value)


class LadderRuleForm(forms.Form):
    """One level's requirements, validity and renewal rules; competency fields are added per
    competency of the published framework (and any other code the rule already names, so saving
    never drops a requirement the page did not show)."""

    holds = forms.ChoiceField(
        label=_("Level held first"),
        required=False,
        choices=[("", _("None"))] + [(v, str(label)) for v, label in Level.choices],
    )
    programs_completed = _count(_("Trainer-development programs completed"))
    teach_backs_passed = _count(_("Teach-backs passed"))
    co_deliveries = _count(_("Sessions co-delivered"))
    lead_deliveries = _count(_("Sessions led"))
    solo_observed = _count(_("Observed solo deliveries passed"))
    min_feedback = forms.DecimalField(
        label=_("Least mean learner feedback (1–5)"),
        required=False,
        max_digits=4,
        decimal_places=2,
    )
    calibrated = forms.BooleanField(
        label=_("Must be a calibrated (certifying) observer"), required=False
    )
    # The model's MinValueValidator(1) and the column's size: ``ladder_rule_save`` only runs the
    # model's checks after writing, so a value outside them must not reach it.
    valid_months = forms.IntegerField(label=_("Valid for (months)"), min_value=1, max_value=32767)
    renewal_deliveries = _count(_("Sessions delivered in the period"))
    renewal_development_hours = forms.DecimalField(
        label=_("Development hours in the period"),
        required=False,
        max_digits=5,
        decimal_places=1,
    )
    renewal_re_observation = forms.BooleanField(
        label=_("A passed re-observation in the period"), required=False
    )
    renewal_calibrated = forms.BooleanField(
        label=_("Still a calibrated (certifying) observer"), required=False
    )

    def __init__(
        self, *args: Any, competencies: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.competency_codes = [code for code, _name in competencies]
        choices: list[tuple[Any, Any]] = [("", _("Not required"))]
        choices += [(level, _("%(n)s or above") % {"n": level}) for level in COMPETENCY_LEVELS]
        for code, name in competencies:
            self.fields[f"{COMPETENCY_PREFIX}{code}"] = forms.TypedChoiceField(
                label=f"{code} {name}".strip(),
                required=False,
                choices=choices,
                coerce=int,
                empty_value=None,
            )

    @classmethod
    def initial_for(cls, rule: Rule) -> dict[str, Any]:
        """The inputs' values for an effective rule (the course's own, the default, or the
        shipped one)."""
        req, renewal = rule.requirements, rule.renewal
        initial: dict[str, Any] = {key: req.get(key) for key in COUNT_KEYS}
        initial.update(
            holds=req.get("holds", ""),
            min_feedback=req.get("min_feedback"),
            calibrated=bool(req.get("calibrated")),
            valid_months=rule.valid_months,
            renewal_deliveries=renewal.get("deliveries"),
            renewal_development_hours=renewal.get("development_hours"),
            renewal_re_observation=bool(renewal.get("re_observation")),
            renewal_calibrated=bool(renewal.get("calibrated")),
        )
        for code, level in (req.get("competencies") or {}).items():
            initial[f"{COMPETENCY_PREFIX}{code}"] = level
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The model's ``requirements`` may not be blank, and ``ladder_rule_save`` only finds out
        # after writing; say why here instead (a level with no requirement is never reached).
        if not self.errors and not self.requirements():
            raise forms.ValidationError(
                _("Give at least one requirement: the ladder never awards a level without one."),
                code="no_requirements",
            )
        return cleaned

    def competency_fields(self) -> list[forms.BoundField]:
        return [self[f"{COMPETENCY_PREFIX}{code}"] for code in self.competency_codes]

    def requirements(self) -> dict[str, Any]:
        """The ``requirements`` object, in the order a candidate's checklist reads best."""
        data = self.cleaned_data
        rule: dict[str, Any] = {}
        if data["holds"]:
            rule["holds"] = data["holds"]
        for key in COUNT_KEYS:
            if data[key] is not None:
                rule[key] = data[key]
        levels = {
            code: data[f"{COMPETENCY_PREFIX}{code}"]
            for code in self.competency_codes
            if data[f"{COMPETENCY_PREFIX}{code}"] is not None
        }
        if levels:
            rule["competencies"] = levels
        if data["calibrated"]:
            rule["calibrated"] = True
        if data["min_feedback"] is not None:
            rule["min_feedback"] = _number(data["min_feedback"])
        return rule

    def renewal(self) -> dict[str, Any]:
        """The ``renewal`` object; empty means a new award is needed after expiry."""
        data = self.cleaned_data
        rule: dict[str, Any] = {}
        if data["renewal_deliveries"] is not None:
            rule["deliveries"] = data["renewal_deliveries"]
        if data["renewal_re_observation"]:
            rule["re_observation"] = True
        if data["renewal_development_hours"] is not None:
            rule["development_hours"] = _number(data["renewal_development_hours"])
        if data["renewal_calibrated"]:
            rule["calibrated"] = True
        return rule

    def apply_rule_error(self, exc: ApplicationError) -> None:
        """Put ``ladder_rule_save``'s refusal on the field each key belongs to; a key with no
        field of its own (the competencies object) goes above the form, named."""
        errors: dict[str, str] = exc.extra.get("errors") or {}
        if not errors:
            self.add_error(None, exc.message)
            return
        for key, message in errors.items():
            name = _ERROR_FIELDS.get(key, key)
            if name in self.fields:
                self.add_error(name, _sentence(message))
            else:
                self.add_error(None, _sentence(f"{key}: {message}"))
