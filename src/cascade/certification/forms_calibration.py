"""Forms of rater calibration: scoring a reference recording, and writing an exercise with its
master levels. They only parse input; the rules (every criterion scored, levels that vary, a
video file) live in the calibration services, whose refusals the views put back on the fields
they concern."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from cascade.certification.forms import apply_error
from cascade.certification.models import LEVELS, CalibrationExercise, Criterion
from cascade.core.errors import ApplicationError

LEVEL_PREFIX = "level_"
MASTER_PREFIX = "master_"


def apply_calibration_error(form: forms.Form, exc: ApplicationError, *, prefix: str) -> None:
    """Put a service's refusal on the criteria it names (``extra["codes"]``), else on the field
    it names, else above the form."""
    codes = [f"{prefix}{code}" for code in exc.extra.get("codes") or []]
    on_fields = [name for name in codes if name in form.fields]
    if not on_fields:
        apply_error(form, exc)
        return
    for name in on_fields:
        form.add_error(name, exc.message)


def _level_choices(criterion: Criterion) -> list[tuple[int, str]]:
    return [
        (level, f"{level} · {criterion.anchors.get(str(level), '')}".rstrip(" ·"))
        for level in LEVELS
    ]


class CalibrationAttemptForm(forms.Form):
    """One radio group per criterion, labelled with the level anchors; no level is chosen in
    advance, so nothing nudges the observer."""

    def __init__(self, *args: Any, criteria: Sequence[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"{LEVEL_PREFIX}{criterion.code}"] = forms.TypedChoiceField(
                label=f"{criterion.code} {criterion.name}",
                choices=_level_choices(criterion),
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose a level for %(code)s.") % {"code": criterion.code},
                    "invalid_choice": _("Choose one of the levels 1 to 4."),
                },
            )

    def rows(self) -> list[tuple[Criterion, BoundField]]:
        return [(c, self[f"{LEVEL_PREFIX}{c.code}"]) for c in self.criteria]

    def levels(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[f"{LEVEL_PREFIX}{c.code}"] for c in self.criteria}


class CalibrationExerciseForm(forms.Form):
    """An exercise: what the recording shows, the recording (a file or a link), and a master
    level per criterion of its rubric."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What the recording shows"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to observers before they score. Do not give the levels away."),
    )
    recording = forms.FileField(
        label=_("Recording (MP4 or WebM video)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "video/mp4,video/webm,.mp4,.webm"}),
        help_text=_("Played in the page. Up to 200 MB."),
    )
    recording_url = forms.URLField(
        label=_("…or a link to the recording"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For a video kept elsewhere; observers open it in a new tab."),
    )
    active = forms.BooleanField(label=_("Open for calibration"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        criteria: Sequence[Criterion],
        key_locked: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.key_locked = key_locked
        for criterion in self.criteria:
            self.fields[f"{MASTER_PREFIX}{criterion.code}"] = forms.TypedChoiceField(
                label=f"{criterion.code} {criterion.name}",
                choices=[("", _("Choose a level")), *_level_choices(criterion)],
                coerce=int,
                empty_value=None,
                # Once attempted, the key is frozen (the service refuses a change anyway);
                # disabled fields keep their initial value whatever is posted.
                disabled=key_locked,
                error_messages={
                    "required": _("Give the master level of %(code)s.") % {"code": criterion.code}
                },
            )

    @classmethod
    def initial_for(cls, exercise: CalibrationExercise) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": exercise.title,
            "description": exercise.description,
            "recording_url": exercise.recording_url,
            "active": exercise.active,
        }
        initial.update(
            {f"{MASTER_PREFIX}{code}": level for code, level in exercise.master_levels.items()}
        )
        return initial

    def master_fields(self) -> list[BoundField]:
        return [self[f"{MASTER_PREFIX}{c.code}"] for c in self.criteria]

    def master_levels(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[f"{MASTER_PREFIX}{c.code}"] for c in self.criteria}
