"""Teach-backs and observed deliveries, the observers' score sheets and moderation.

An :class:`Observation` is one attempt a candidate makes to show they can teach: a teach-back
(from a program step) or an observed delivery of a course. Observers score it on a published
rubric version, each on their own :class:`ScoreSheet`, blind until they submit. Whatever is
decided keeps its rubric version, its sheets and its notes: nothing is overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cascade.certification.models.rubrics import Rubric


class ObservationKind(models.TextChoices):
    TEACH_BACK = "teach_back", _("Teach-back")
    CO_DELIVERY = "co_delivery", _("Co-delivered session")
    SOLO_DELIVERY = "solo_delivery", _("Observed solo delivery")
    RE_OBSERVATION = "re_observation", _("Re-observation (renewal)")


class ObservationMode(models.TextChoices):
    LIVE = "live", _("Live (in the room or online)")
    RECORDED = "recorded", _("Recorded (video upload or link)")


class ObservationStatus(models.TextChoices):
    SCORING = "scoring", _("Being scored")
    MODERATION = "moderation", _("In moderation")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Observation(models.Model):
    """One observed attempt; its result is computed from the submitted sheets by the services."""

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="observations"
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ObservationKind.choices,
        default=ObservationKind.TEACH_BACK,
    )
    mode = models.CharField(
        _("how it is observed"),
        max_length=10,
        choices=ObservationMode.choices,
        default=ObservationMode.RECORDED,
    )
    # What the attempt counts towards: the course whose ladder it feeds, and, for teach-backs
    # from a program, the candidate's progress on that step (completed when it passes).
    course = models.ForeignKey(
        "delivery.Course",
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
    )
    progress = models.ForeignKey(
        "learning.StepProgress",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    session = models.ForeignKey(
        "delivery.Session",
        verbose_name=_("session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    title = models.CharField(_("what was taught"), max_length=200)
    attempt = models.PositiveSmallIntegerField(default=1)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="observations")
    add_on = models.ForeignKey(
        Rubric,
        verbose_name=_("add-on rubric"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="add_on_observations",
    )
    recording = models.FileField(upload_to="certification/recordings/%Y/%m/", blank=True)
    recording_name = models.CharField(max_length=255, blank=True)
    recording_url = models.URLField(_("recording link"), blank=True)
    allow_peers = models.BooleanField(_("peers may observe"), default=False)
    # Submitted sheets needed before a result (at least one from a certifying master).
    observers_needed = models.PositiveSmallIntegerField(
        _("observers needed"), default=2, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    # The candidate's own levels ({criterion code: level}) and notes, before seeing feedback.
    self_levels = models.JSONField(default=dict, blank=True)
    self_notes = models.TextField(_("your reflection"), blank=True)
    status = models.CharField(
        max_length=12, choices=ObservationStatus.choices, default=ObservationStatus.SCORING
    )
    # Filled when decided: consolidated levels, the moderators' agreed levels where observers
    # disagreed, the result and the reasons it failed, and the feedback the candidate reads.
    combined_levels = models.JSONField(default=dict, blank=True)
    moderated_levels = models.JSONField(default=dict, blank=True)
    flagged = models.JSONField(default=list, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    mean = models.FloatField(null=True, blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["candidate", "kind", "status"], name="observation_candidate_idx"),
            models.Index(fields=["status", "created_at"], name="observation_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title} (attempt {self.attempt})"

    @property
    def final_levels(self) -> dict[str, int]:
        """Consolidated levels with the moderators' agreed levels laid over them."""
        return {**self.combined_levels, **self.moderated_levels}


class ObserverRole(models.TextChoices):
    MASTER = "master", _("Master trainer")
    PEER = "peer", _("Peer")


class ScoreSheet(models.Model):
    """One observer's scores for one observation: a level, evidence and an optional time in
    the recording per criterion. Hidden from other observers until this one is submitted."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="sheets")
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="score_sheets"
    )
    role = models.CharField(
        max_length=10, choices=ObserverRole.choices, default=ObserverRole.MASTER
    )
    # {criterion code: level 1-4}; {criterion code: text}; {criterion code: seconds}
    levels = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    timestamps = models.JSONField(default=dict, blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["observation", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "observer"], name="sheet_one_per_observer"
            )
        ]
        indexes = [
            models.Index(
                fields=["observer", "submitted_at"],
                name="sheet_observer_idx",
                condition=Q(submitted_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.observer_id} on {self.observation_id}"


class ModerationNote(models.Model):
    """A message in the moderation discussion of a flagged observation."""

    observation = models.ForeignKey(
        Observation, on_delete=models.CASCADE, related_name="moderation_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.observation_id}"
