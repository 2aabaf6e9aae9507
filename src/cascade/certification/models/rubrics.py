"""Competency frameworks and behaviourally anchored rubrics, versioned like programs.

A framework or rubric is edited as a *draft*; publishing freezes it, and whatever scored or
certified against a version keeps pointing at that version, so later edits never change a past
decision. Each criterion of a rubric maps to the competencies it gives evidence for.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LEVELS = (1, 2, 3, 4)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Framework(models.Model):
    """One version of a competency framework (e.g. "Trainer competencies", version 2)."""

    slug = models.SlugField(_("short name"), max_length=80)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The names of the four proficiency levels, lowest first.
    level_names = models.JSONField(default=list)
    level_descriptions = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="framework_unique_version"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status="draft"), name="framework_one_draft"
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status="published"), name="framework_one_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Competency(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competencies")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=150)
    descriptor = models.TextField(_("what it looks like"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competency_unique_code")
        ]
        verbose_name_plural = "competencies"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Rubric(models.Model):
    """One version of an observation rubric with its pass rule.

    An *add-on* (e.g. virtual delivery) is scored together with the rubric it extends.
    """

    slug = models.SlugField(_("short name"), max_length=80)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="rubrics")
    extends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="add_ons"
    )
    min_each = models.PositiveSmallIntegerField(
        _("every criterion at least"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    min_critical = models.PositiveSmallIntegerField(
        _("critical criteria at least"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    min_mean = models.DecimalField(
        _("mean at least"),
        max_digits=3,
        decimal_places=2,
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="rubric_unique_version"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status="draft"), name="rubric_one_draft"
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status="published"), name="rubric_one_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Criterion(models.Model):
    """A rubric line: what is observed, a behavioural anchor per level (1–4), whether it is
    critical, and the competencies it is evidence for."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=150)
    # {"1": "...", "2": "...", "3": "...", "4": "..."}
    anchors = models.JSONField(default=dict)
    critical = models.BooleanField(_("critical"), default=False)
    competencies = models.ManyToManyField(Competency, blank=True, related_name="criteria")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_unique_code")
        ]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
