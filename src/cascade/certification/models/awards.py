"""The certification ladder (rules as data), certifications with their history, the evidence a
master records directly (competency ratings, development hours) and the credential signing key.

A certification row is never edited into another meaning: a renewal or a higher level is a new
row, and every status change is a :class:`CertificationEvent` (and an audit entry).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cascade.certification.models.rubrics import Competency


class Level(models.TextChoices):
    """The rungs above *candidate* (a candidate holds no certification). Values match
    ``delivery.RequiredLevel`` so a course's required level reads as one of these."""

    CO_FACILITATOR = "co_facilitator", _("Co-facilitator")
    CERTIFIED = "certified", _("Certified trainer")
    MASTER = "master", _("Master trainer")


LEVEL_ORDER = {Level.CO_FACILITATOR: 1, Level.CERTIFIED: 2, Level.MASTER: 3}


class LadderRule(models.Model):
    """What it takes to reach ``level`` for ``course`` (or, with no course, for every course
    without its own rule), and how long the certification lasts.

    ``requirements`` is data, read by :mod:`cascade.certification.ladder`; see that module for
    the keys (teach-backs passed, co- and solo deliveries, competency levels, calibration...).
    """

    course = models.ForeignKey(
        "delivery.Course",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ladder_rules",
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    requirements = models.JSONField(default=dict)
    valid_months = models.PositiveSmallIntegerField(
        _("valid for (months)"), default=24, validators=[MinValueValidator(1)]
    )
    renewal = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "level"],
                condition=Q(course__isnull=False),
                name="ladder_rule_one_per_course_level",
            ),
            models.UniqueConstraint(
                fields=["level"], condition=Q(course__isnull=True), name="ladder_rule_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course or 'default'}: {self.level}"


class CertificationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    LAPSED = "lapsed", _("Lapsed")
    SUPERSEDED = "superseded", _("Superseded")


class Certification(models.Model):
    """A person's level for a course, valid until ``expires_at``; carries its credential."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications"
    )
    course = models.ForeignKey(
        "delivery.Course", on_delete=models.PROTECT, related_name="certifications"
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    status = models.CharField(
        max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.ACTIVE
    )
    awarded_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # What the ladder saw when it was awarded: {"requirement": {"needed":..., "have":...}}.
    evidence = models.JSONField(default=dict, blank=True)
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    # Position in the revocation status list (a bitstring); allocated once, never reused.
    status_index = models.PositiveIntegerField(unique=True)
    # The signed credential exactly as issued (compact JWS), and when reminders went out.
    credential = models.TextField(blank=True)
    reminders_sent = models.JSONField(default=list, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course", "level"],
                condition=Q(status="active"),
                name="certification_one_active_per_level",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("awarded_at")),
                name="certification_expires_after_award",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="certification_expiry_idx"),
            models.Index(fields=["person", "status"], name="certification_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} — {self.course_id} ({self.person_id})"


class CertificationEvent(models.Model):
    """One change in a certification's life: awarded, renewed, suspended, reinstated,
    revoked, lapsed, reminded. Append-only."""

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.certification_id}"


class CompetencyRating(models.Model):
    """A master trainer's direct judgement of a person's level on one competency, for
    competencies that a teach-back rubric does not cover (e.g. assessment, coaching)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competency_ratings"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="ratings")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    note = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-rated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.competency_id}={self.level}"


class DevelopmentActivity(models.Model):
    """Continuing professional development a trainer logs towards renewal."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="development"
    )
    title = models.CharField(_("what you did"), max_length=200)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(200)],
    )
    done_on = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-id"]
        verbose_name_plural = "development activities"

    def __str__(self) -> str:
        return self.title


class SigningKey(models.Model):
    """An Ed25519 key that signs credentials. The public half is published (JWKS) under its
    ``kid`` for as long as any credential it signed may be checked, so keys are retired, never
    deleted. The private half is PEM (PKCS#8); production deployments may keep it in a file
    instead (``CREDENTIAL_KEY_FILE``)."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField(blank=True)
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid
