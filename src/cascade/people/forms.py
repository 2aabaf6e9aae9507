"""Forms of the people area: sign-in, profile, roles, org units, tokens."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from cascade.people.models import AccessToken, OrgUnit, Person, Role

_TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in _TIME_ZONES]


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        # Emails are case-insensitive: one spelling for the sign-in and for the throttle's
        # (email, IP) key, so "ROBIN@..." cannot buy an attacker a fresh set of attempts.
        return str(self.cleaned_data["username"]).strip().lower()


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


def _languages_field() -> forms.CharField:
    return forms.CharField(
        label=_("Languages spoken"),
        required=False,
        max_length=200,
        help_text=_("Language codes separated by commas, e.g. en, fr, es."),
    )


def parse_languages(raw: str) -> list[str]:
    parts = [p.strip().lower() for p in raw.replace(";", ",").split(",")]
    return sorted({p for p in parts if p})


class LanguagesMixin(forms.Form):
    def clean_languages(self) -> list[str]:
        codes = parse_languages(self.cleaned_data.get("languages") or "")
        bad = [c for c in codes if not (2 <= len(c) <= 8 and c.replace("-", "").isalpha())]
        if bad:
            raise forms.ValidationError(
                _("Not a language code: %(codes)s"), params={"codes": ", ".join(bad)}
            )
        return codes


class OwnProfileForm(LanguagesMixin, forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    languages = _languages_field()
    location = forms.CharField(label=_("Location"), max_length=150, required=False)


class PersonForm(OwnProfileForm):
    """What a program manager edits about a person (roles have their own form)."""

    email = forms.EmailField(label=_("Email"))
    region = forms.CharField(label=_("Region"), max_length=80, required=False)
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )
    manager_email = forms.EmailField(
        label=_("Manager's email"),
        required=False,
        help_text=_("Leave empty for no manager."),
    )

    field_order = [
        "display_name",
        "email",
        "job_title",
        "org_unit",
        "manager_email",
        "region",
        "location",
        "languages",
        "time_zone",
    ]

    def __init__(self, *args: Any, units: Any, instance: Person | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        if instance is not None:
            self.fields["email"].disabled = True

    def clean_manager_email(self) -> Person | None:
        email = (self.cleaned_data.get("manager_email") or "").strip()
        if not email:
            return None
        manager = Person.objects.filter(email__iexact=email).first()
        if manager is None:
            raise forms.ValidationError(_("Nobody with this email is in Cascade."))
        if self.instance is not None and manager.pk == self.instance.pk:
            raise forms.ValidationError(_("A person cannot be their own manager."))
        return manager


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ModelChoiceField(
        label=_("Program manager for"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("The whole organisation"),
        help_text=_("Only used when the person is a program manager."),
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = units  # type: ignore[attr-defined]


class OrgUnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    code = forms.SlugField(
        label=_("Code"), max_length=60, help_text=_("Short unique id, e.g. north-ward-3")
    )
    parent = forms.ModelChoiceField(
        label=_("Inside"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Top level"),
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = units  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if OrgUnit.objects.filter(code=code).exists():
            raise forms.ValidationError(_("That code is taken."))
        return code


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “HR sync”.")
    )
    scope = forms.ChoiceField(
        label=_("Access"), choices=AccessToken.Scope.choices, initial=AccessToken.Scope.READ
    )


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, email or job")}),
    )
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All")), *Role.choices]
    )
    inactive = forms.BooleanField(label=_("Include deactivated"), required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
