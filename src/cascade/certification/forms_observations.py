"""Forms for teach-backs, score sheets, moderation and certification changes. Field names per
criterion are ``level_<code>``, ``evidence_<code>`` and ``time_<code>``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cascade.certification.models import (
    Competency,
    Criterion,
    Level,
    ObservationKind,
    ObservationMode,
    ObserverRole,
)
from cascade.delivery.models import Course

LEVEL_CHOICES = [(str(n), str(n)) for n in (1, 2, 3, 4)]


def _anchor_choices(criterion: Criterion) -> list[tuple[str, str]]:
    return [
        (str(n), f"{n} — {criterion.anchors.get(str(n), '')}".rstrip(" —")) for n in (1, 2, 3, 4)
    ]


class LevelsMixin:
    """Adds one level field (and optionally evidence and time) per criterion."""

    criteria: list[Criterion]
    fields: dict[str, forms.Field]

    def add_criteria(
        self, criteria: list[Criterion], *, required: bool, evidence: bool, anchors: bool
    ) -> None:
        self.criteria = criteria
        for c in criteria:
            self.fields[f"level_{c.code}"] = forms.ChoiceField(
                label=f"{c.code} {c.name}",
                choices=_anchor_choices(c) if anchors else [("", "—"), *LEVEL_CHOICES],
                required=required,
                widget=forms.RadioSelect if anchors else forms.Select,
            )
            if evidence:
                self.fields[f"evidence_{c.code}"] = forms.CharField(
                    label=_("Evidence"),
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.fields[f"time_{c.code}"] = forms.CharField(
                    label=_("At (mm:ss)"), required=False, max_length=10
                )

    def levels(self) -> dict[str, str]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        return {c.code: data.get(f"level_{c.code}") or "" for c in self.criteria}

    def per_criterion(self, prefix: str) -> dict[str, str]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        return {c.code: data.get(f"{prefix}_{c.code}") or "" for c in self.criteria}

    def rows(self) -> list[tuple[Criterion, Any, Any, Any]]:
        form: Any = self
        return [
            (
                c,
                form[f"level_{c.code}"],
                form[f"evidence_{c.code}"] if f"evidence_{c.code}" in form.fields else None,
                form[f"time_{c.code}"] if f"time_{c.code}" in form.fields else None,
            )
            for c in self.criteria
        ]


class TeachBackForm(LevelsMixin, forms.Form):
    field_order = ["kind", "step", "course", "session", "title", "mode"]

    kind = forms.ChoiceField(
        label=_("What is observed"), choices=ObservationKind.choices, initial="teach_back"
    )
    session = forms.ChoiceField(label=_("The session you delivered"), required=False)
    course = forms.ModelChoiceField(
        label=_("Course you are preparing to deliver"),
        queryset=Course.objects.filter(archived_at__isnull=True),
    )
    step = forms.ChoiceField(
        label=_("Program step it is for"),
        required=False,
        help_text=_("Passing it signs off this step of your program."),
    )
    title = forms.CharField(label=_("What you taught"), max_length=200)
    mode = forms.ChoiceField(
        label=_("How it is observed"), choices=ObservationMode.choices, initial="recorded"
    )
    recording = forms.FileField(label=_("Recording (MP4 or WebM, up to 200 MB)"), required=False)
    recording_url = forms.URLField(
        label=_("…or a link to it"), required=False, assume_scheme="https"
    )
    allow_peers = forms.BooleanField(label=_("Peers may observe and give feedback"), required=False)
    self_notes = forms.CharField(
        label=_("Your reflection: what went well, what you would change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        criteria: list[Criterion],
        steps: list[tuple[Any, Any]] = (),  # type: ignore[assignment]
        sessions: list[Any] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = {str(s.pk): s for s in sessions}
        if self.sessions:
            session_field: Any = self.fields["session"]
            session_field.choices = [("", _("None"))] + [
                (key, f"{s.title} — {s.starts_at:%d %b %Y}" if s.starts_at else s.title)
                for key, s in self.sessions.items()
            ]
        else:
            del self.fields["session"]
        self.steps = {f"{e.pk}:{s.pk}": (e, s) for e, s in steps}
        if self.steps:
            step_field: Any = self.fields["step"]
            step_field.choices = [("", _("None: practice for the course"))] + [
                (key, f"{e.cohort.program} — {s.title}") for key, (e, s) in self.steps.items()
            ]
        else:
            del self.fields["step"]
        self.add_criteria(criteria, required=False, evidence=False, anchors=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        session = self.sessions.get(data.get("session") or "")
        data["session"] = session
        if data.get("kind") in ("co_delivery", "solo_delivery") and session is None:
            self.add_error("session", _("Choose the session that was delivered."))
        if session is not None and data.get("course") and session.course_id != data["course"].pk:
            self.add_error("session", _("That session is of another course."))
        return data

    def step_of(self) -> tuple[Any, Any] | None:
        return self.steps.get(self.cleaned_data.get("step") or "")


class ScoreForm(LevelsMixin, forms.Form):
    comment = forms.CharField(
        label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_criteria(criteria, required=False, evidence=True, anchors=True)


class AssignForm(forms.Form):
    observer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Observer"), queryset=Course.objects.none()
    )
    role = forms.ChoiceField(label=_("As"), choices=ObserverRole.choices)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observer"].queryset = people  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Add to the discussion"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(LevelsMixin, forms.Form):
    note = forms.CharField(
        label=_("Why (for the record)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_criteria(criteria, required=True, evidence=False, anchors=True)


class ReasonForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("suspend", "reinstate", "revoke", "renew")]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AwardForm(forms.Form):
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Person"), queryset=Course.objects.none()
    )
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.filter(archived_at__isnull=True)
    )
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class DevelopmentForm(forms.Form):
    title = forms.CharField(label=_("What you did"), max_length=200)
    hours = forms.DecimalField(label=_("Hours"), min_value=0.5, max_value=200, decimal_places=1)
    done_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))


class CompetencyRatingForm(forms.Form):
    competency = forms.ModelChoiceField(
        label=_("Competency"),
        queryset=Competency.objects.filter(framework__status="published").order_by("position"),
    )
    level = forms.ChoiceField(label=_("Level"), choices=LEVEL_CHOICES)
    note = forms.CharField(
        label=_("Evidence you saw"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
