"""What trainers deliver (courses, with their materials) and where (venues)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequiredLevel(models.TextChoices):
    """The certification level a trainer needs to lead a course (checked by the pool)."""

    CO_FACILITATOR = "co_facilitator", _("Co-facilitator")
    CERTIFIED = "certified", _("Certified trainer")
    MASTER = "master", _("Master trainer")


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    objectives = models.TextField(
        _("learning objectives"), blank=True, help_text=_("Markdown; one objective per line.")
    )
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=180, validators=[MinValueValidator(15)]
    )
    facilitator_guide = models.TextField(
        _("facilitator guide"),
        blank=True,
        help_text=_("Markdown, shown only to the people who deliver the course."),
    )
    required_level = models.CharField(
        _("level needed to lead it"),
        max_length=20,
        choices=RequiredLevel.choices,
        default=RequiredLevel.CERTIFIED,
    )
    self_enrol = models.BooleanField(
        _("learners may enrol themselves"),
        default=True,
        help_text=_("The default for new sessions of this course."),
    )
    needs_approval = models.BooleanField(
        _("nominations need approval"),
        default=False,
        help_text=_("A manager's nomination waits for a program manager before it takes a place."),
    )
    org_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("owned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CourseMaterial(models.Model):
    """A file for a course: slides, handouts; ``for_trainers`` hides it from learners."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="delivery/materials/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    for_trainers = models.BooleanField(_("trainers only"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "id"]

    def __str__(self) -> str:
        return self.title


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
    capacity = models.PositiveIntegerField(_("room capacity"), validators=[MinValueValidator(1)])
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    org_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("owned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venues",
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
