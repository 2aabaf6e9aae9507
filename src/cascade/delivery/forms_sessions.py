"""Forms of the session pages. They parse what people typed (times in the viewer's own time
zone, emails that exist); the rules — clashes, capacity, who may enrol — stay in the services,
whose errors the views put back on the right field."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cascade.core.errors import ApplicationError
from cascade.delivery.models import Course, Modality, Session, StaffRole, Venue
from cascade.delivery.services.sessions import SessionDetails
from cascade.learning.models import Cohort, Step, StepKind
from cascade.people.models import Person

MAX_SLOTS = 10
EMAILS_MAX = 500
_SEPARATORS = re.compile(r"[\s,;]+")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class SessionForm(forms.Form):
    """A session's details; its parts (dates and times) come from :class:`SlotFormSet`."""

    delivers = forms.ChoiceField(
        label=_("Course or program step"),
        help_text=_("What this session delivers. Program steps are offered per cohort."),
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Defaults to the course's.")
    )
    description = forms.CharField(
        label=_("What to expect"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown. Shown to learners on the session page."),
    )
    modality = forms.ChoiceField(label=_("Modality"), choices=Modality.choices)
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.none(), required=False)
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    join_url = forms.URLField(
        label=_("Join link"), required=False, assume_scheme="https", max_length=200
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10000)
    language = forms.CharField(label=_("Language"), max_length=10, initial="en")
    region = forms.CharField(
        label=_("Region"), max_length=100, required=False, help_text=_("Defaults to the venue's.")
    )
    leads_needed = forms.IntegerField(label=_("Lead trainers needed"), min_value=0, initial=1)
    co_facilitators_needed = forms.IntegerField(
        label=_("Co-facilitators needed"), min_value=0, initial=0
    )
    self_enrol = forms.BooleanField(
        label=_("Learners may enrol themselves"), required=False, initial=True
    )
    needs_approval = forms.BooleanField(label=_("Nominations need approval"), required=False)
    cancel_cutoff_hours = forms.IntegerField(
        label=_("Free cancellation until (hours before)"), min_value=0, initial=48
    )
    reminder_lead_hours = forms.IntegerField(
        label=_("Reminder (hours before each part)"), min_value=1, max_value=336, initial=24
    )

    def __init__(
        self,
        *args: Any,
        courses: QuerySet[Course],
        cohorts: QuerySet[Cohort],
        venues: QuerySet[Venue],
        fixed_delivers: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._courses = {str(c.pk): c for c in courses.filter(archived_at__isnull=True)}
        steps = Step.objects.filter(
            version__cohorts__in=cohorts, kind__in=(StepKind.LIVE_SESSION, StepKind.TEACH_BACK)
        ).values_list("version__cohorts__pk", "pk", "title", "version__cohorts__name")
        self._steps = {f"step:{c}:{s}": (c, s) for c, s, _t, _n in steps}
        choices: list[tuple[Any, Any]] = [("", "—")]
        choices.append(
            (
                _("Courses"),
                [(f"course:{pk}", c.title) for pk, c in self._courses.items()],
            )
        )
        if self._steps:
            choices.append(
                (
                    _("Program steps"),
                    [(f"step:{c}:{s}", f"{n} — {t}") for c, s, t, n in steps],
                )
            )
        self.fields["delivers"].choices = choices  # type: ignore[attr-defined]
        if fixed_delivers is not None:
            self.fields["delivers"].disabled = True
            self.fields["delivers"].initial = fixed_delivers
        self.fields["venue"].queryset = venues  # type: ignore[attr-defined]

    def clean_delivers(self) -> str:
        value: str = self.cleaned_data["delivers"]
        if value.startswith("course:") and value.removeprefix("course:") in self._courses:
            return value
        if value in self._steps:
            return value
        raise ValidationError(_("Choose a course or a program step."))

    def target(self) -> dict[str, Any]:
        """The course, or the cohort and step, the session is for."""
        value = self.cleaned_data["delivers"]
        if value.startswith("course:"):
            return {"course": self._courses[value.removeprefix("course:")]}
        cohort_id, step_id = self._steps[value]
        return {
            "cohort": Cohort.objects.select_related("program__org_unit").get(pk=cohort_id),
            "step": Step.objects.get(pk=step_id),
        }

    def details(self, slots: list[tuple[datetime, datetime]]) -> SessionDetails:
        data = self.cleaned_data
        title = data["title"]
        if not title:
            target = self.target() if "delivers" in data else {}
            title = str(target.get("course") or target.get("step") or "")
        return SessionDetails(
            title=title,
            capacity=data["capacity"],
            slots=slots,
            modality=data["modality"],
            venue=data["venue"],
            room=data["room"],
            join_url=data["join_url"],
            description=data["description"],
            language=data["language"],
            region=data["region"],
            leads_needed=data["leads_needed"],
            co_facilitators_needed=data["co_facilitators_needed"],
            self_enrol=data["self_enrol"],
            needs_approval=data["needs_approval"],
            cancel_cutoff_hours=data["cancel_cutoff_hours"],
            reminder_lead_hours=data["reminder_lead_hours"],
        )

    @staticmethod
    def initial_for(session: Session) -> dict[str, Any]:
        delivers = (
            f"course:{session.course_id}"
            if session.course_id
            else f"step:{session.cohort_id}:{session.step_id}"
        )
        return {
            "delivers": delivers,
            "title": session.title,
            "description": session.description,
            "modality": session.modality,
            "venue": session.venue_id,
            "room": session.room,
            "join_url": session.join_url,
            "capacity": session.capacity,
            "language": session.language,
            "region": session.region,
            "leads_needed": session.leads_needed,
            "co_facilitators_needed": session.co_facilitators_needed,
            "self_enrol": session.self_enrol,
            "needs_approval": session.needs_approval,
            "cancel_cutoff_hours": session.cancel_cutoff_hours,
            "reminder_lead_hours": session.reminder_lead_hours,
        }

    def add_service_error(self, exc: ApplicationError) -> bool:
        """Put a service's refusal on the field it concerns; False if it concerns the parts."""
        field = exc.extra.get("field")
        if field == "slots":
            return False
        self.add_error(field if field in self.fields else None, exc.message)
        return True


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=LocalDateTimeInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            raise ValidationError(_("A part must end after it starts."))
        return data


class BaseSlotFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.slots():
            raise ValidationError(_("Add at least one date and time."))

    def slots(self) -> list[tuple[datetime, datetime]]:
        return sorted(
            (f.cleaned_data["starts_at"], f.cleaned_data["ends_at"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        )


SlotFormSet = forms.formset_factory(
    SlotForm,
    formset=BaseSlotFormSet,
    extra=1,
    max_num=MAX_SLOTS,
    validate_max=True,
    can_delete=True,
)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everyone enrolled receives this with the cancellation."),
    )


class StaffForm(forms.Form):
    email = forms.EmailField(label=_("Trainer's email"))
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices)

    def clean_email(self) -> Person:
        email = self.cleaned_data["email"]
        person = Person.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise ValidationError(_("Nobody active has this email address."))
        return person


class PeopleEmailsForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, or separated by commas."),
    )

    def clean_emails(self) -> list[Person]:
        raw = [e for e in _SEPARATORS.split(self.cleaned_data["emails"]) if e]
        if len(raw) > EMAILS_MAX:
            raise ValidationError(_("At most %(n)s addresses at a time.") % {"n": EMAILS_MAX})
        lowered = list(dict.fromkeys(e.lower() for e in raw))
        found = {
            p.email.lower(): p for p in Person.objects.filter(email__in=lowered, is_active=True)
        }
        if len(found) < len(lowered):
            # Case-insensitive fallback for addresses stored with capitals.
            for email in lowered:
                if email not in found:
                    person = Person.objects.filter(email__iexact=email, is_active=True).first()
                    if person is not None:
                        found[email] = person
        missing = [e for e in lowered if e not in found]
        if missing:
            raise ValidationError(
                _("No active account for: %(emails)s") % {"emails": ", ".join(missing[:10])}
            )
        return [found[e] for e in lowered]


class NominateForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        label=_("Your reports"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, reports: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = reports  # type: ignore[attr-defined]
        self.fields["people"].label_from_instance = lambda p: p.display_name  # type: ignore[attr-defined]


class FinderForm(forms.Form):
    """The session finder's filters (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), required=False, empty_label=_("Any")
    )
    modality = forms.ChoiceField(
        label=_("Modality"), choices=[("", _("Any")), *Modality.choices], required=False
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    starts_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(archived_at__isnull=True)  # type: ignore[attr-defined]
