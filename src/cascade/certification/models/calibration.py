"""Rater calibration: reference recordings with master scores, and observers' attempts at them.

An observer is a *certifying observer* while they hold a passed attempt younger than a year;
that is read from the attempts (a selector), never stored as a flag that could go stale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cascade.certification.models.rubrics import Rubric


class CalibrationExercise(models.Model):
    """A reference recording, scored by master trainers, that observers calibrate against."""

    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="calibrations")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what the recording shows"), blank=True)
    recording = models.FileField(upload_to="certification/calibration/%Y/%m/", blank=True)
    recording_name = models.CharField(max_length=255, blank=True)
    recording_url = models.URLField(_("recording link"), blank=True)
    # {criterion code: level}, agreed by master trainers: the answer key, never shown before
    # an observer submits.
    master_levels = models.JSONField(default=dict)
    active = models.BooleanField(_("open for calibration"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class CalibrationAttempt(models.Model):
    """One observer's scoring of a reference recording, with its agreement figures."""

    exercise = models.ForeignKey(
        CalibrationExercise, on_delete=models.PROTECT, related_name="attempts"
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calibration_attempts"
    )
    levels = models.JSONField(default=dict)
    exact = models.FloatField()
    adjacent = models.FloatField()
    kappa = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["observer", "passed", "submitted_at"], name="calibration_gate_idx")
        ]

    def __str__(self) -> str:
        return f"{self.observer_id} on {self.exercise_id}"
