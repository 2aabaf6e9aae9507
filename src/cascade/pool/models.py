"""The trainer pool's own records: what a trainer states about their work (languages, where
they live and travel, the modalities they deliver, their rate and how much they take on) and
when they can work (weekly hours and exceptions). Certifications, deliveries and competencies
are not copied here: the pool reads them from their areas."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TrainerProfile(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainer_profile"
    )
    home_region = models.CharField(_("home region"), max_length=100, blank=True)
    home_location = models.CharField(_("home town or site"), max_length=200, blank=True)
    # ISO 639-1 codes, e.g. ["en", "fr"].
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # Subset of delivery's modalities: in_person, virtual, hybrid.
    modalities = models.JSONField(_("modalities"), default=list, blank=True)
    rate_cents = models.PositiveIntegerField(
        _("hourly rate (cents)"), default=0, validators=[MaxValueValidator(10_000_00)]
    )
    max_hours_per_month = models.PositiveSmallIntegerField(
        _("at most hours a month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
    )
    max_sessions_per_month = models.PositiveSmallIntegerField(
        _("at most sessions a month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.person_id}"


class WeeklyHours(models.Model):
    """A recurring window of availability, in the trainer's own time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["person", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="weekly_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.weekday} {self.starts}-{self.ends}"


class AvailabilityException(models.Model):
    """A dated change to the weekly pattern: time off (unavailable) or extra hours
    (available). Imported calendar events are time off with their UID, so a re-import
    updates rather than duplicates."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", _("Unavailable (time off, busy)")
        AVAILABLE = "available", _("Available (extra hours)")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNAVAILABLE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source_uid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="exception_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["person", "source_uid", "starts_at"],
                condition=~Q(source_uid=""),
                name="exception_unique_import",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "starts_at", "ends_at"], name="exception_time_idx")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.starts_at:%Y-%m-%d}"
