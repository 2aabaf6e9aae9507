"""Forms of the pool: a trainer's profile, weekly hours (one row per weekday), time off and a
calendar file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cascade.pool.models import WeeklyHours

MODALITY_CHOICES = [
    ("in_person", _("In person")),
    ("virtual", _("Virtual")),
    ("hybrid", _("Hybrid")),
]


class ProfileForm(forms.Form):
    home_region = forms.CharField(label=_("Home region"), max_length=100, required=False)
    home_location = forms.CharField(label=_("Home town or site"), max_length=200, required=False)
    languages = forms.CharField(
        label=_("Languages you deliver in"),
        max_length=100,
        required=False,
        help_text=_("Language codes separated by commas, e.g. en, fr."),
    )
    modalities = forms.MultipleChoiceField(
        label=_("You deliver"),
        choices=MODALITY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_languages(self) -> list[str]:
        raw = self.cleaned_data["languages"] or ""
        codes = [c.strip().lower() for c in raw.replace(";", ",").split(",") if c.strip()]
        bad = [c for c in codes if not (2 <= len(c) <= 3 and c.isalpha())]
        if bad:
            raise forms.ValidationError(
                _("Use two- or three-letter language codes (not “%(bad)s”).")
                % {"bad": ", ".join(bad)}
            )
        return codes


class WeeklyForm(forms.Form):
    """From/to per weekday; both blank means not working that day."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in WeeklyHours.Weekday.choices:
            widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            self.fields[f"from_{value}"] = forms.TimeField(
                label=label, required=False, widget=widget
            )
            self.fields[f"to_{value}"] = forms.TimeField(
                label=_("to"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for value, _label in WeeklyHours.Weekday.choices:
            start, end = data.get(f"from_{value}"), data.get(f"to_{value}")
            if (start is None) != (end is None):
                self.add_error(f"to_{value}", _("Give both times, or neither."))
            elif start is not None and end is not None and end <= start:
                self.add_error(f"to_{value}", _("The end must be after the start."))
        return data

    def hours(self) -> list[tuple[int, Any, Any]]:
        return [
            (value, self.cleaned_data[f"from_{value}"], self.cleaned_data[f"to_{value}"])
            for value, _label in WeeklyHours.Weekday.choices
            if self.cleaned_data.get(f"from_{value}") is not None
        ]

    def rows(self) -> list[tuple[str, Any, Any]]:
        return [
            (str(label), self[f"from_{value}"], self[f"to_{value}"])
            for value, label in WeeklyHours.Weekday.choices
        ]


class TimeOffForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The last day cannot be before the first."))
        return data


class CalendarFileForm(forms.Form):
    calendar = forms.FileField(label=_("Calendar file (.ics, up to 1 MB)"))
