"""Forms for doing a path and reviewing it: step submissions, quiz attempts, sign-offs.

The quiz form is built from the *public* part of an attempt (``quiz.public``), so it can never
render an answer key; it turns what the browser sent into the response shapes the quiz engine
grades, and refuses anything of the wrong shape instead of passing it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cascade.learning.quiz import correct_answer_text

MAX_FILES = 10
TEXT_MAX = 10_000


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files from one ``<input type=file multiple>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(items) > MAX_FILES:
            raise forms.ValidationError(
                _("Upload at most %(n)s files at a time."), params={"n": MAX_FILES}
            )
        single = super().clean
        return [single(item, initial) for item in items if item]


def _textarea(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- Doing steps ----------------------------------------------------------------------------


class TaskSubmitForm(forms.Form):
    """An on-the-job task: tick the checklist, say what you did, upload evidence."""

    checklist = forms.TypedMultipleChoiceField(
        label=_("Checklist"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("What did you do?"),
        required=False,
        max_length=TEXT_MAX,
        widget=_textarea(),
        help_text=_("Describe the task as you did it; your reviewer reads this."),
    )
    evidence = MultipleFileField(
        label=_("Evidence files"),
        help_text=_("Photos, documents, audio or video; you can choose several files."),
    )

    def __init__(self, *args: Any, items: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = list(enumerate(items))
        self.fields["checklist"].choices = choices  # type: ignore[attr-defined]
        if not choices:
            del self.fields["checklist"]

    @property
    def checked_items(self) -> list[int]:
        return list(self.cleaned_data.get("checklist") or [])


def _http_url(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise forms.ValidationError(_("Give an address starting with https://."))


class TeachBackForm(forms.Form):
    """A teach-back: a recording file or a link to one, and a note."""

    recording = MultipleFileField(
        label=_("Recording"),
        help_text=_("A video or audio file of your teach-back."),
    )
    link = forms.URLField(
        label=_("Or a link to the recording"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[_http_url],
    )
    note = forms.CharField(
        label=_("Note for your reviewer"), required=False, max_length=TEXT_MAX, widget=_textarea()
    )

    @property
    def submission(self) -> str:
        """The link (on its own first line, so reviewers see it as a link) and the note."""
        link = self.cleaned_data.get("link") or ""
        note = self.cleaned_data.get("note") or ""
        return f"{link}\n\n{note}".strip() if link else note

    @staticmethod
    def initial_from(submission: str) -> dict[str, str]:
        first, _sep, rest = submission.partition("\n")
        if first.startswith(("http://", "https://")) and " " not in first.strip():
            return {"link": first.strip(), "note": rest.strip()}
        return {"note": submission}


class ReflectionForm(forms.Form):
    text = forms.CharField(label=_("Your reflection"), max_length=TEXT_MAX, widget=_textarea(8))


class MentoringForm(forms.Form):
    met_on = forms.DateField(
        label=_("Date of the meeting"), widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("What you discussed"), required=False, max_length=TEXT_MAX, widget=_textarea(4)
    )
    actions = forms.CharField(
        label=_("Agreed actions"), required=False, max_length=TEXT_MAX, widget=_textarea(3)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"met_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# --- Reviewing ------------------------------------------------------------------------------


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return for more work"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note to the candidate"),
        required=False,
        max_length=TEXT_MAX,
        widget=_textarea(4),
        help_text=_("Required when you return the work: say what to change."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what needs to change before returning the work."))
        return data


class ReflectionReplyForm(forms.Form):
    reply = forms.CharField(label=_("Your reply"), max_length=TEXT_MAX, widget=_textarea(5))


class AttendanceForm(forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    attended = forms.TypedChoiceField(
        choices=[("1", _("Attended")), ("0", _("Missed"))],
        coerce=lambda v: v == "1",
        widget=forms.HiddenInput,
    )


# --- Quiz attempts --------------------------------------------------------------------------


@dataclass
class QuestionFields:
    """One served question with the bound fields that answer it, for the template."""

    number: int
    item: dict[str, Any]
    field: forms.BoundField | None = None
    parts: list[tuple[str, forms.BoundField]] | None = None
    errors: list[str] | None = None


def _name(item: dict[str, Any], part: str = "") -> str:
    return f"q{item['qid']}" + (f"__{part}" if part else "")


class QuizAttemptForm(forms.Form):
    """The questions of an open attempt, built from ``quiz.public(attempt.served)`` only."""

    def __init__(self, *args: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            kind = item["kind"]
            if kind in ("single", "true_false"):
                self.fields[_name(item)] = forms.ChoiceField(
                    label=item["prompt"],
                    required=False,
                    choices=[(o["token"], _option_label(o["text"])) for o in item["options"]],
                    widget=forms.RadioSelect,
                )
            elif kind == "multiple":
                self.fields[_name(item)] = forms.MultipleChoiceField(
                    label=item["prompt"],
                    required=False,
                    choices=[(o["token"], o["text"]) for o in item["options"]],
                    widget=forms.CheckboxSelectMultiple,
                )
            elif kind == "short":
                self.fields[_name(item)] = forms.CharField(
                    label=_("Your answer"),
                    required=False,
                    max_length=500,
                    widget=forms.TextInput(attrs={"autocomplete": "off"}),
                )
            elif kind == "ordering":
                positions = [("", "—")] + [
                    (str(n), str(n)) for n in range(1, len(item["items"]) + 1)
                ]
                for part in item["items"]:
                    self.fields[_name(item, part["token"])] = forms.TypedChoiceField(
                        label=part["text"],
                        required=False,
                        choices=positions,
                        coerce=int,
                        empty_value=None,
                    )
            elif kind == "matching":
                rights = [("", "—")] + [(r["token"], r["text"]) for r in item["rights"]]
                for left in item["lefts"]:
                    self.fields[_name(item, left["token"])] = forms.ChoiceField(
                        label=left["text"], required=False, choices=rights
                    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for item in self.items:
            kind = item["kind"]
            if kind in ("single", "true_false", "short"):
                # A radio group or a text box sends one value; several is not a browser's doing.
                if hasattr(self.data, "getlist") and len(self.data.getlist(_name(item))) > 1:
                    self.add_error(_name(item), _("Give one answer to this question."))
            elif kind == "ordering":
                given = [data.get(_name(item, p["token"])) for p in item["items"]]
                chosen = [g for g in given if g is not None]
                # The error goes on the first item's field: the question shows it once.
                first = _name(item, item["items"][0]["token"])
                if chosen and len(chosen) != len(given):
                    self.add_error(first, _("Give every item a position."))
                elif len(set(chosen)) != len(chosen):
                    self.add_error(first, _("Give each item a different position."))
        return data

    def responses(self) -> dict[str, Any]:
        """What the quiz engine grades, keyed by question id; unanswered questions left out."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for item in self.items:
            kind, qid = item["kind"], str(item["qid"])
            if kind in ("single", "true_false", "short"):
                value = (data.get(_name(item)) or "").strip()
                if value:
                    out[qid] = value
            elif kind == "multiple":
                if data.get(_name(item)):
                    out[qid] = list(data[_name(item)])
            elif kind == "ordering":
                placed = [
                    (data[_name(item, p["token"])], i, p["token"])
                    for i, p in enumerate(item["items"])
                    if data.get(_name(item, p["token"])) is not None
                ]
                if placed:
                    out[qid] = [token for _pos, _i, token in sorted(placed)]
            elif kind == "matching":
                pairs = {
                    left["token"]: data[_name(item, left["token"])]
                    for left in item["lefts"]
                    if data.get(_name(item, left["token"]))
                }
                if pairs:
                    out[qid] = pairs
        return out

    def questions(self) -> list[QuestionFields]:
        """The questions in served order with their fields and their own errors."""
        out = []
        for number, item in enumerate(self.items, start=1):
            entry = QuestionFields(number=number, item=item)
            if item["kind"] in ("ordering", "matching"):
                parts = item["items"] if item["kind"] == "ordering" else item["lefts"]
                entry.parts = [(p["text"], self[_name(item, p["token"])]) for p in parts]
                entry.errors = [str(e) for _t, bf in entry.parts for e in bf.errors]
            else:
                entry.field = self[_name(item)]
                entry.errors = [str(e) for e in entry.field.errors]
            out.append(entry)
        return out


def _option_label(text: str) -> str:
    """True/false options are served in English; show them in the reader's language."""
    return {"True": str(_("True")), "False": str(_("False"))}.get(text, text)


def response_text(item: dict[str, Any], response: Any) -> str:
    """A readable form of what the candidate answered, for the result page."""
    kind = item["kind"]
    if kind in ("single", "true_false", "multiple"):
        chosen = response if isinstance(response, list) else [response]
        texts = {o["token"]: _option_label(o["text"]) for o in item.get("options", [])}
        return "; ".join(texts[t] for t in chosen if isinstance(t, str) and t in texts)
    if kind == "short":
        return response if isinstance(response, str) else ""
    if kind == "ordering" and isinstance(response, list):
        texts = {i["token"]: i["text"] for i in item.get("items", [])}
        return " → ".join(texts[t] for t in response if isinstance(t, str) and t in texts)
    if kind == "matching" and isinstance(response, dict):
        lefts = {i["token"]: i["text"] for i in item.get("lefts", [])}
        rights = {i["token"]: i["text"] for i in item.get("rights", [])}
        return "; ".join(
            f"{lefts[lt]} = {rights[rt]}"
            for lt, rt in response.items()
            if lt in lefts and rt in rights
        )
    return ""


def result_rows(
    served: list[dict[str, Any]], results: list[dict[str, Any]], responses: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each question of a submitted attempt with its grade, the answer given and the right one."""
    by_qid = {r["qid"]: r for r in results}
    return [
        {
            "number": n,
            "item": item,
            "result": by_qid.get(item["qid"], {}),
            "answer": response_text(item, responses.get(str(item["qid"]))),
            "correct_answer": correct_answer_text(item),
        }
        for n, item in enumerate(served, start=1)
    ]
