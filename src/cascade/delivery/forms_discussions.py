"""Forms of the discussion pages: start a thread, post a reply, choose an answer. They only
parse; the rules live in :mod:`cascade.delivery.services.discussions`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cascade.delivery.models import Thread
from cascade.delivery.services.discussions import BODY_MAX

BODY_HELP = _(
    "Markdown works: **bold**, _italic_, lists, [links](https://example.org) and `code`. "
    "Mention someone in this discussion with @ and their email name, like @jane.doe."
)


class _BodyField(forms.CharField):
    """The message as typed: not stripped (leading spaces mean something in Markdown)."""

    def __init__(self, *, label: Any = None) -> None:
        super().__init__(
            label=label or _("Message"),
            max_length=BODY_MAX,
            strip=False,
            help_text=BODY_HELP,
            widget=forms.Textarea(
                attrs={"rows": 5, "data-mentions": "", "autocomplete": "off", "spellcheck": "true"}
            ),
        )

    def validate(self, value: str) -> None:
        super().validate(value)
        if not value.strip():
            raise forms.ValidationError(_("Write a message."), code="required")


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Thread.Kind.DISCUSSION, _("Discussion: share something or talk it over")),
            (Thread.Kind.QUESTION, _("Question: ask, and mark the answer when it comes")),
        ],
        initial=Thread.Kind.DISCUSSION,
        widget=forms.RadioSelect,
    )
    body = _BodyField()


class ReplyForm(forms.Form):
    body = _BodyField(label=_("Your reply"))
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class AnswerForm(forms.Form):
    """The post that answers the question; empty means "no answer yet"."""

    post = forms.IntegerField(required=False, min_value=1)
