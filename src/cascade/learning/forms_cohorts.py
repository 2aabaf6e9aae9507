"""Forms of the cohort pages: opening a cohort, enrolling people, mentors and nudges.

Forms parse and check what people typed (emails exist, the file is a small UTF-8 CSV); the rules
of enrolment and nudging stay in ``learning.services.cohorts``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from cascade.core.errors import ApplicationError
from cascade.core.uploads import check_upload
from cascade.learning.models import Enrolment, Program
from cascade.people.models import OrgUnit, Person

CSV_MAX_BYTES = 2 * 1024 * 1024
EMAILS_MAX = 1000
MESSAGE_MAX = 1000
_SEPARATORS = re.compile(r"[\s,;]+")


class ProgramChoiceField(forms.ModelChoiceField):
    """Programs, marking those that have no published version yet (``published_count``)."""

    def label_from_instance(self, obj: Any) -> str:
        if getattr(obj, "published_count", 1):
            return str(obj)
        return str(_("%(program)s (not published yet)") % {"program": obj})


class PersonChoicesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class CohortForm(forms.Form):
    program = ProgramChoiceField(label=_("Program"), queryset=Program.objects.none())
    name = forms.CharField(
        label=_("Name"), max_length=150, help_text=_("For example “Spring 2026, North region”.")
    )
    start_date = forms.DateField(
        label=_("Starts on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Due dates of the steps count from this day."),
    )
    master_trainers = PersonChoicesField(
        label=_("Master trainers"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They run this cohort with you: dashboard, enrolment, reviews."),
    )

    def __init__(
        self,
        *args: Any,
        programs: QuerySet[Program],
        masters: QuerySet[Person],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        self.fields["master_trainers"].queryset = masters  # type: ignore[attr-defined]


def parse_emails(raw: str) -> list[str]:
    """Emails typed one per line or separated by commas, lower-cased, each once, in order."""
    seen: dict[str, None] = {}
    for token in _SEPARATORS.split(raw):
        if token:
            seen.setdefault(token.lower(), None)
    return list(seen)


class EnrolEmailsForm(forms.Form):
    emails = forms.CharField(
        label=_("Emails"),
        max_length=EMAILS_MAX * 80,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_("One per line, or separated by commas."),
    )

    def clean_emails(self) -> list[Person]:
        emails = parse_emails(self.cleaned_data["emails"])
        if len(emails) > EMAILS_MAX:
            raise ValidationError(
                _("At most %(max)s emails at a time; upload a CSV for more."),
                params={"max": EMAILS_MAX},
            )
        invalid = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                invalid.append(email)
        found = {
            p.email.lower(): p
            for p in Person.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=emails, is_active=True
            )
        }
        unknown = [e for e in emails if e not in found and e not in invalid]
        errors = []
        if invalid:
            errors.append(
                ValidationError(
                    _("Not an email address: %(list)s"), params={"list": ", ".join(invalid)}
                )
            )
        if unknown:
            errors.append(
                ValidationError(
                    _("Nobody active has these emails: %(list)s"),
                    params={"list": ", ".join(unknown)},
                )
            )
        if errors:
            errors.append(ValidationError(_("Nobody was enrolled; correct the list and retry.")))
            raise ValidationError(errors)
        return [found[e] for e in emails]


class EnrolCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "An “email” column, or one email a line; UTF-8, at most 2 MB. If an email is "
            "unknown, nobody is enrolled."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )

    def clean_file(self) -> bytes:
        upload: UploadedFile = self.cleaned_data["file"]
        try:
            check_upload(upload, allowed={"csv", "txt"}, max_bytes=CSV_MAX_BYTES)
        except ApplicationError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        upload.seek(0)
        return upload.read(CSV_MAX_BYTES + 1)


class OrgUnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "— " * obj.depth + obj.name


class EnrolOrgUnitForm(forms.Form):
    org_unit = OrgUnitChoiceField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Everyone active in this unit and the units below it."),
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class EnrolmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        person = obj.person
        mentor = f" · {_('mentor')}: {obj.mentor}" if obj.mentor_id else ""
        return f"{person.display_name} ({person.email}){mentor}"


class MentorForm(forms.Form):
    """Give one enrolled person a mentor (a trainer or master trainer), or take it away."""

    enrolment = EnrolmentChoiceField(label=_("Person"), queryset=Enrolment.objects.none())
    mentor_email = forms.EmailField(
        label=_("Mentor’s email"),
        required=False,
        help_text=_("A trainer or master trainer. Leave empty to remove the mentor."),
    )

    def __init__(self, *args: Any, enrolments: QuerySet[Enrolment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrolment"].queryset = enrolments  # type: ignore[attr-defined]

    def clean_mentor_email(self) -> Person | None:
        email = (self.cleaned_data.get("mentor_email") or "").strip().lower()
        if not email:
            return None
        mentor = (
            Person.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower=email, is_active=True)
            .first()
        )
        if mentor is None:
            raise ValidationError(_("Nobody active has this email."))
        return mentor  # who may mentor is the service's rule (enrolment_set_mentor)


class NudgeForm(forms.Form):
    who = forms.ChoiceField(
        choices=[("selected", _("The people selected")), ("behind", _("Everyone behind"))]
    )
    person = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False)
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Without one, a standard reminder is sent."),
    )

    def __init__(self, *args: Any, enrolled: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = enrolled  # type: ignore[attr-defined]
