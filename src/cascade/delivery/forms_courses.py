"""Forms for courses, venues and course materials."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cascade.delivery.models import Course, Venue
from cascade.people.models import OrgUnit, validate_time_zone


class CourseForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Course
        fields = [
            "title",
            "summary",
            "objectives",
            "audience",
            "duration_minutes",
            "required_level",
            "self_enrol",
            "needs_approval",
            "facilitator_guide",
            "org_unit",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "facilitator_guide": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class VenueForm(forms.ModelForm):  # type: ignore[type-arg]
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, initial="UTC", validators=[validate_time_zone]
    )

    class Meta:
        model = Venue
        fields = ["name", "address", "region", "capacity", "time_zone", "org_unit"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(label=_("File"))
    for_trainers = forms.BooleanField(
        label=_("Only for the trainers (facilitator material)"), required=False
    )
