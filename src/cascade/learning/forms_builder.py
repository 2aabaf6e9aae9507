"""Forms of the program builder: programs, steps (fields by kind), bank questions, import.

The forms parse what a person typed into the shapes the services take; the rules themselves
(step settings, question answer keys) stay in :mod:`step_config` and :mod:`quiz`, whose errors
come back through :meth:`apply_errors` so they show next to the field they are about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BoundField
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cascade.learning.models import (
    Audience,
    BloomLevel,
    Module,
    ProgramVersion,
    Question,
    QuestionKind,
    Step,
    StepKind,
)
from cascade.learning.step_config import clean_config
from cascade.people.models import OrgUnit

OPTION_ROWS = 6
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _error_text(message: str) -> str:
    """Engine messages are short lower-case phrases ("at least two options"): make a sentence."""
    message = message.strip()
    return f"{message[:1].upper()}{message[1:]}." if message else message


class ErrorMappingMixin:
    """Put the ``errors`` dict of a ConfigError/QuestionError next to the right fields."""

    error_fields: dict[str, str] = {}

    def apply_errors(self, errors: dict[str, str]) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for key, message in errors.items():
            name = self.error_field(key)
            form.add_error(name if name in form.fields else None, _error_text(message))

    def error_field(self, key: str) -> str | None:
        base = key.split(".", 1)[0]
        return self.error_fields.get(base, base)


# --- Programs -------------------------------------------------------------------------------


class ProgramForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        required=False,
        help_text=_(
            "Used in addresses and exported files: letters, numbers and hyphens. "
            "Left empty, it is made from the title."
        ),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences: who it is for and what they will be able to do."),
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=Audience.choices, widget=forms.RadioSelect
    )
    org_unit = forms.ModelChoiceField(
        label=_("Owned by"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— The whole organisation —"),
        help_text=_("Program managers of this unit (and the units above it) can manage it."),
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        unit_required: bool,
        audiences: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].widget.attrs["data-slug-from"] = "id_title"
        org_unit = self.fields["org_unit"]
        assert isinstance(org_unit, forms.ModelChoiceField)
        org_unit.queryset = units
        org_unit.required = unit_required
        if unit_required:
            org_unit.empty_label = None
        audience = self.fields["audience"]
        assert isinstance(audience, forms.ChoiceField)
        audience.choices = [c for c in Audience.choices if c[0] in audiences]
        if len(audiences) == 1:
            audience.initial = audiences[0]
            audience.help_text = _("Trainers build paths for their learners.")
        else:
            audience.initial = Audience.TRAINERS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("slug") and data.get("title"):
            slug = slugify(data["title"])[:80].strip("-")
            if not slug:
                self.add_error("slug", _("Give a short name in letters and numbers."))
            data["slug"] = slug
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Program file"),
        help_text=_("A .zip (or .json) file exported from Cascade; at most 100 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.json"}),
    )
    org_unit = forms.ModelChoiceField(
        label=_("Owned by"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— The whole organisation —"),
    )

    def __init__(
        self, *args: Any, units: QuerySet[OrgUnit], unit_required: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        org_unit = self.fields["org_unit"]
        assert isinstance(org_unit, forms.ModelChoiceField)
        org_unit.queryset = units
        org_unit.required = unit_required
        if unit_required:
            org_unit.empty_label = None


class PublishForm(forms.Form):
    notes = forms.CharField(
        label=_("What changed in this version"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown in the version history. People already enrolled keep their version."),
    )


# --- Steps ----------------------------------------------------------------------------------

BODY_LABELS: dict[str, Any] = {
    StepKind.LESSON: _("Lesson text"),
    StepKind.QUIZ: _("Introduction"),
    StepKind.LIVE_SESSION: _("What the session covers"),
    StepKind.TEACH_BACK: _("What to teach back"),
    StepKind.ON_THE_JOB: _("Task instructions"),
    StepKind.REFLECTION: _("Reflection prompt"),
    StepKind.MENTORING: _("What to discuss with the mentor"),
}

KIND_HELP: dict[str, Any] = {
    StepKind.LESSON: _("Something to read or watch, with files to download."),
    StepKind.QUIZ: _("Questions from the bank, marked automatically."),
    StepKind.LIVE_SESSION: _("A workshop or webinar at a set time."),
    StepKind.TEACH_BACK: _("The candidate teaches a short segment and is observed."),
    StepKind.ON_THE_JOB: _("A checklist done at work, signed off with evidence."),
    StepKind.REFLECTION: _("A journal answer to a prompt, read by a master trainer."),
    StepKind.MENTORING: _("Meetings with a mentor, logged with agreed actions."),
}

# Config keys of each kind, in the order the form shows them.
CONFIG_FIELDS: dict[str, tuple[str, ...]] = {
    StepKind.LESSON: ("video_url",),
    StepKind.QUIZ: (
        "pass_mark",
        "attempts_limit",
        "time_limit_minutes",
        "draw_count",
        "policy",
        "show_answers",
        "shuffle_questions",
        "shuffle_options",
    ),
    StepKind.LIVE_SESSION: ("starts_at", "ends_at", "venue", "join_url"),
    StepKind.TEACH_BACK: ("duration_minutes", "peers_may_observe"),
    StepKind.ON_THE_JOB: ("checklist", "evidence_required"),
    StepKind.REFLECTION: ("min_words",),
    StepKind.MENTORING: ("meetings_required",),
}


def _number(label: Any, help_text: Any = "", **attrs: Any) -> forms.IntegerField:
    # Limits are the engine's (step_config); its message shows here when one is crossed.
    return forms.IntegerField(
        label=label, required=False, help_text=help_text, widget=forms.NumberInput(attrs=attrs)
    )


def _config_fields(kind: str) -> dict[str, forms.Field]:
    url = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    if kind == StepKind.LESSON:
        url.label = _("Video address")
        url.help_text = _("Optional: a link to the video (https://…).")
        return {"video_url": url}
    if kind == StepKind.QUIZ:
        return {
            "pass_mark": _number(_("Pass mark (%)"), min=0, max=100),
            "attempts_limit": _number(
                _("Attempts allowed"), _("0 means as many as they like."), min=0, max=100
            ),
            "time_limit_minutes": _number(
                _("Time limit (minutes)"), _("Optional."), min=1, max=600
            ),
            "draw_count": _number(
                _("Questions per attempt"),
                _("Optional: draw this many of the chosen questions for each attempt (a pool)."),
                min=1,
                max=500,
            ),
            "policy": forms.ChoiceField(
                label=_("Which attempt counts"),
                choices=[("best", _("The best attempt")), ("last", _("The last attempt"))],
                widget=forms.RadioSelect,
                initial="best",
                required=False,
            ),
            "show_answers": forms.ChoiceField(
                label=_("Show the right answers"),
                choices=[
                    ("final", _("Once passed or out of attempts")),
                    ("always", _("After every attempt (a practice quiz)")),
                ],
                widget=forms.RadioSelect,
                initial="final",
                required=False,
            ),
            "shuffle_questions": forms.BooleanField(
                label=_("Shuffle the questions"), required=False, initial=True
            ),
            "shuffle_options": forms.BooleanField(
                label=_("Shuffle the answer options"), required=False, initial=True
            ),
        }
    if kind == StepKind.LIVE_SESSION:
        when = {"type": "datetime-local"}
        url.label = _("Join link")
        url.help_text = _("Optional: the video call address.")
        return {
            "starts_at": forms.DateTimeField(
                label=_("Starts"),
                required=False,
                widget=forms.DateTimeInput(attrs=when, format=DATETIME_INPUT),
            ),
            "ends_at": forms.DateTimeField(
                label=_("Ends"),
                required=False,
                widget=forms.DateTimeInput(attrs=when, format=DATETIME_INPUT),
            ),
            "venue": forms.CharField(label=_("Venue"), required=False, max_length=200),
            "join_url": url,
        }
    if kind == StepKind.TEACH_BACK:
        return {
            "duration_minutes": _number(_("Length (minutes)"), min=1, max=480),
            "peers_may_observe": forms.BooleanField(
                label=_("Peers may observe and give feedback"), required=False, initial=False
            ),
        }
    if kind == StepKind.ON_THE_JOB:
        return {
            "checklist": forms.CharField(
                label=_("Checklist"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("One item a line."),
            ),
            "evidence_required": forms.BooleanField(
                label=_("Evidence (a file) is required"), required=False, initial=True
            ),
        }
    if kind == StepKind.REFLECTION:
        return {"min_words": _number(_("Minimum words"), min=0, max=5000)}
    if kind == StepKind.MENTORING:
        return {"meetings_required": _number(_("Meetings required"), min=1, max=20)}
    raise ValueError(kind)


def _is_check(field: BoundField) -> bool:
    return isinstance(field.field, forms.BooleanField)


def _datetime_initial(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed


class StepForm(ErrorMappingMixin, forms.Form):
    """A step of any kind: the common fields, the kind's settings, its questions and a file."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: # headings, - lists, **bold**, [links](https://…)."),
    )
    module = forms.ModelChoiceField(
        label=_("Module"),
        queryset=Module.objects.none(),
        required=False,
        empty_label=_("— No module —"),
    )
    new_module = forms.CharField(
        label=_("Or start a new module"),
        max_length=200,
        required=False,
        help_text=_("E.g. “Week 1: How adults learn”."),
    )
    required = forms.BooleanField(
        label=_("Required to complete the program"), required=False, initial=True
    )
    due_offset_days = forms.IntegerField(
        label=_("Due (days after the cohort starts)"),
        required=False,
        min_value=0,
        max_value=3650,
        help_text=_("Optional."),
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label=_("Open only after"),
        queryset=Step.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Earlier steps that must be completed first."),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        version: ProgramVersion,
        modules: list[Module],
        earlier: QuerySet[Step],
        bank: list[Question] | None = None,
        step: Step | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind = kind
        self.step = step
        self.bank = bank or []
        if "initial" not in kwargs:
            kwargs["initial"] = (
                self._initial_from(step) if step is not None else self._initial_defaults(kind)
            )
        super().__init__(*args, **kwargs)
        self.fields["body"].label = BODY_LABELS[StepKind(kind)]
        self.fields["body"].widget.attrs["rows"] = 12 if kind == StepKind.LESSON else 4
        module = self.fields["module"]
        assert isinstance(module, forms.ModelChoiceField)
        module.queryset = Module.objects.filter(version=version)
        if not modules:
            module.widget = forms.HiddenInput()
            self.fields["new_module"].label = _("Module")
            self.fields["new_module"].help_text = _(
                "Optional: name a group of steps, e.g. “Week 1: How adults learn”."
            )
        prerequisites = self.fields["prerequisites"]
        assert isinstance(prerequisites, forms.ModelMultipleChoiceField)
        prerequisites.queryset = earlier
        self.fields.update(_config_fields(kind))
        if kind == StepKind.QUIZ:
            self.fields["questions"] = forms.TypedMultipleChoiceField(
                label=_("Questions from the bank"),
                choices=[(q.pk, q.prompt) for q in self.bank],
                coerce=int,
                required=False,
            )
            for q in self.bank:
                self.fields[f"order_{q.pk}"] = forms.IntegerField(
                    label=_("Position"),
                    required=False,
                    min_value=1,
                    max_value=999,
                    widget=forms.NumberInput(attrs={"class": "order-input"}),
                )
        if kind == StepKind.LESSON:
            self.fields["resource"] = forms.FileField(
                label=_("Add a file"),
                required=False,
                help_text=_("Slides, handouts, a video or audio file (PDF, Office, images, …)."),
            )
            self.fields["resource_title"] = forms.CharField(
                label=_("File title"),
                required=False,
                max_length=200,
                help_text=_("Optional: shown instead of the file name."),
            )

    @staticmethod
    def _initial_defaults(kind: str) -> dict[str, Any]:
        """A new step starts from its kind's defaults (pass mark 80, three attempts, …)."""
        defaults = clean_config(kind, {})
        return {k: v for k, v in defaults.items() if v not in ("", None, [])}

    @staticmethod
    def _initial_from(step: Step) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": step.title,
            "body": step.body,
            "module": step.module_id,
            "required": step.required,
            "due_offset_days": step.due_offset_days,
            "prerequisites": [p.pk for p in step.prerequisites.all()],
        }
        config = dict(step.config or {})
        for key in CONFIG_FIELDS[step.kind]:
            value = config.get(key)
            if key in ("starts_at", "ends_at"):
                value = _datetime_initial(value) if value else None
            elif key == "checklist":
                value = "\n".join(value or [])
            initial[key] = value
        if step.kind == StepKind.QUIZ:
            chosen = list(step.step_questions.all())
            initial["questions"] = [sq.question_id for sq in chosen]
            for i, sq in enumerate(chosen, start=1):
                initial[f"order_{sq.question_id}"] = i
        return initial

    def _visible(self, *names: str) -> list[BoundField]:
        return [self[n] for n in names if n in self.fields and not self[n].is_hidden]

    def settings_fields(self) -> list[BoundField]:
        return [f for f in self._visible(*CONFIG_FIELDS[self.kind]) if not _is_check(f)]

    def settings_checks(self) -> list[BoundField]:
        return [f for f in self._visible(*CONFIG_FIELDS[self.kind]) if _is_check(f)]

    def place_fields(self) -> list[BoundField]:
        return self._visible("module", "new_module", "required", "due_offset_days", "prerequisites")

    def file_fields(self) -> list[BoundField]:
        return self._visible("resource", "resource_title")

    def question_rows(self) -> list[dict[str, Any]]:
        """Each bank question with its checkbox state and its position field."""
        if self.is_bound:
            chosen = {str(v) for v in self.data.getlist("questions")}  # type: ignore[attr-defined]
        else:
            chosen = {str(v) for v in self.initial.get("questions", [])}
        return [
            {"question": q, "checked": str(q.pk) in chosen, "order": self[f"order_{q.pk}"]}
            for q in self.bank
        ]

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, Any] = {}
        for key in CONFIG_FIELDS[self.kind]:
            value = data.get(key)
            if key in ("starts_at", "ends_at"):
                value = value.isoformat() if value else ""
            elif key == "checklist":
                value = (value or "").splitlines()
            config[key] = value
        return config

    def chosen_question_ids(self) -> list[int]:
        """The ticked questions, by the positions typed (untyped ones last, in bank order)."""
        chosen = self.cleaned_data.get("questions") or []
        bank_order = {q.pk: i for i, q in enumerate(self.bank)}

        def position(pk: int) -> tuple[int, int]:
            typed = self.cleaned_data.get(f"order_{pk}")
            return (typed if typed is not None else 10_000, bank_order.get(pk, 0))

        return sorted(dict.fromkeys(chosen), key=position)


# --- Bank questions -------------------------------------------------------------------------


class QuestionForm(ErrorMappingMixin, forms.Form):
    """A bank question: prompt, tags, explanation, and the answer fields of its kind."""

    error_fields = {"options": "options", "pairs": "pairs"}

    prompt = forms.CharField(
        label=_("Question"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    topic = forms.CharField(
        label=_("Topic"),
        max_length=100,
        required=False,
        help_text=_("A tag to find and group questions, e.g. “questioning”."),
    )
    bloom_level = forms.ChoiceField(
        label=_("Bloom level"),
        choices=[("", _("— Not set —")), *BloomLevel.choices],
        required=False,
    )
    explanation = forms.CharField(
        label=_("Explanation shown after submitting"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, kind: str, question: Question | None = None, **kwargs: Any
    ) -> None:
        self.kind = kind
        self.options_errors: list[str] = []
        self.option_count = OPTION_ROWS
        if question is not None:
            kwargs.setdefault("initial", self._initial_from(question))
            if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                self.option_count = max(OPTION_ROWS, len(question.data.get("options", [])))
        super().__init__(*args, **kwargs)
        if question is not None:
            self.fields["archived"] = forms.BooleanField(
                label=_("Archived (not offered for new quizzes)"), required=False
            )
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            for i in range(1, self.option_count + 1):
                # Kept across edits, so an option stays the same option.
                self.fields[f"option_{i}_id"] = forms.CharField(
                    required=False, max_length=40, widget=forms.HiddenInput
                )
                self.fields[f"option_{i}_text"] = forms.CharField(
                    label=_("Option %(n)s") % {"n": i}, required=False, max_length=1000
                )
                self.fields[f"option_{i}_correct"] = forms.BooleanField(
                    label=_("Correct"), required=False
                )
                self.fields[f"option_{i}_feedback"] = forms.CharField(
                    label=_("Feedback for option %(n)s") % {"n": i},
                    required=False,
                    max_length=2000,
                )
        elif kind == QuestionKind.TRUE_FALSE:
            self.fields["answer"] = forms.ChoiceField(
                label=_("The statement is"),
                choices=[("true", _("True")), ("false", _("False"))],
                widget=forms.RadioSelect,
            )
            self.fields["feedback_true"] = forms.CharField(
                label=_("Feedback when they answer “true”"), required=False, max_length=2000
            )
            self.fields["feedback_false"] = forms.CharField(
                label=_("Feedback when they answer “false”"), required=False, max_length=2000
            )
        elif kind == QuestionKind.SHORT:
            self.fields["accepted"] = forms.CharField(
                label=_("Accepted answers"),
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One a line. Case, spaces and end punctuation are ignored."),
                required=False,
            )
        elif kind == QuestionKind.ORDERING:
            self.fields["items"] = forms.CharField(
                label=_("Items in the correct order"),
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("One a line, first to last. They are shuffled for the candidate."),
                required=False,
            )
        elif kind == QuestionKind.MATCHING:
            self.fields["pairs"] = forms.CharField(
                label=_("Pairs"),
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("One pair a line: left = right. The right sides are shuffled."),
                required=False,
            )
        else:
            raise ValueError(kind)

    @staticmethod
    def _initial_from(question: Question) -> dict[str, Any]:
        data = question.data or {}
        initial: dict[str, Any] = {
            "prompt": question.prompt,
            "topic": question.topic,
            "bloom_level": question.bloom_level,
            "explanation": question.explanation,
            "archived": question.archived,
        }
        for i, opt in enumerate(data.get("options", []), start=1):
            initial[f"option_{i}_id"] = opt.get("id", "")
            initial[f"option_{i}_text"] = opt.get("text", "")
            initial[f"option_{i}_correct"] = bool(opt.get("correct"))
            initial[f"option_{i}_feedback"] = opt.get("feedback", "")
        if question.kind == QuestionKind.TRUE_FALSE:
            initial["answer"] = "true" if data.get("answer") else "false"
            initial["feedback_true"] = data.get("feedback", {}).get("true", "")
            initial["feedback_false"] = data.get("feedback", {}).get("false", "")
        initial["accepted"] = "\n".join(data.get("accepted", []))
        initial["items"] = "\n".join(data.get("items", []))
        initial["pairs"] = "\n".join(f"{p['left']} = {p['right']}" for p in data.get("pairs", []))
        return initial

    def option_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "n": i,
                "id": self[f"option_{i}_id"],
                "text": self[f"option_{i}_text"],
                "correct": self[f"option_{i}_correct"],
                "feedback": self[f"option_{i}_feedback"],
            }
            for i in range(1, self.option_count + 1)
        ]

    def clean_pairs(self) -> str:
        raw = self.cleaned_data.get("pairs") or ""
        bad = [
            str(n)
            for n, line in enumerate(raw.splitlines(), start=1)
            if line.strip() and "=" not in line
        ]
        if bad:
            raise forms.ValidationError(
                _("Lines %(lines)s have no “=” between the two sides."),
                params={"lines": ", ".join(bad)},
            )
        return raw

    def answer_data(self) -> dict[str, Any]:
        """The question's ``data`` as the quiz engine takes it."""
        d = self.cleaned_data
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            options = []
            self._option_rows: list[int] = []
            for i in range(1, self.option_count + 1):
                text = (d.get(f"option_{i}_text") or "").strip()
                feedback = (d.get(f"option_{i}_feedback") or "").strip()
                correct = bool(d.get(f"option_{i}_correct"))
                if not (text or feedback or correct):
                    continue  # an unused row
                option_id = (d.get(f"option_{i}_id") or "").strip()
                options.append(
                    {"id": option_id, "text": text, "correct": correct, "feedback": feedback}
                )
                self._option_rows.append(i)
            taken = {o["id"] for o in options if o["id"]}
            number = 0
            for option in options:
                while not option["id"]:
                    number += 1
                    option["id"] = "" if str(number) in taken else str(number)
                taken.add(option["id"])
            return {"options": options}
        if self.kind == QuestionKind.TRUE_FALSE:
            return {
                "answer": d.get("answer") == "true",
                "feedback": {
                    "true": d.get("feedback_true") or "",
                    "false": d.get("feedback_false") or "",
                },
            }
        if self.kind == QuestionKind.SHORT:
            return {"accepted": d.get("accepted") or ""}
        if self.kind == QuestionKind.ORDERING:
            return {"items": d.get("items") or ""}
        pairs = []
        for line in (d.get("pairs") or "").splitlines():
            if line.strip():
                left, _sep, right = line.partition("=")
                pairs.append({"left": left.strip(), "right": right.strip()})
        return {"pairs": pairs}

    def apply_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            base, _dot, index = key.partition(".")
            if base == "options":
                rows = getattr(self, "_option_rows", [])
                if index.isdigit() and int(index) < len(rows):
                    self.add_error(f"option_{rows[int(index)]}_text", _error_text(message))
                else:
                    self.options_errors.append(_error_text(message))
            elif base in self.fields:
                self.add_error(base, _error_text(message))
            else:
                self.add_error(None, _error_text(message))
