"""Courses and venues: what is delivered and where. Program managers keep them; archiving
hides them from new sessions while every past session keeps pointing at them."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cascade.core.errors import clean_or_raise
from cascade.core.services import audit_record
from cascade.core.uploads import check_upload
from cascade.delivery.models import Course, CourseMaterial, Venue
from cascade.people.models import Person

COURSE_FIELDS = (
    "title",
    "slug",
    "summary",
    "objectives",
    "audience",
    "duration_minutes",
    "facilitator_guide",
    "required_level",
    "self_enrol",
    "needs_approval",
    "org_unit",
)
VENUE_FIELDS = ("name", "address", "region", "capacity", "time_zone", "org_unit")


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "course"
    slug, n = base, 2
    while Course.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def course_create(*, actor: Person, **fields: Any) -> Course:
    """A new course; the short name is made from the title when not given."""
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown course fields: {sorted(unknown)}")
    if not fields.get("slug"):
        fields["slug"] = _unique_slug(str(fields.get("title", "")))
    course = Course(created_by=actor, **fields)
    clean_or_raise(course)
    course.save()
    audit_record(actor=actor, action="delivery.course.created", target=course)
    return course


@transaction.atomic
def course_update(*, course: Course, actor: Person, **fields: Any) -> Course:
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown course fields: {sorted(unknown)}")
    changes = {k: str(getattr(course, k)) for k, v in fields.items() if getattr(course, k) != v}
    for name, value in fields.items():
        setattr(course, name, value)
    clean_or_raise(course)
    course.save()
    audit_record(actor=actor, action="delivery.course.changed", target=course, changes=changes)
    return course


@transaction.atomic
def course_archive(*, course: Course, actor: Person, archived: bool = True) -> Course:
    course.archived_at = timezone.now() if archived else None
    course.save(update_fields=["archived_at"])
    audit_record(
        actor=actor,
        action="delivery.course.archived",
        target=course,
        changes={"archived": archived},
    )
    return course


@transaction.atomic
def venue_create(*, actor: Person, **fields: Any) -> Venue:
    unknown = set(fields) - set(VENUE_FIELDS)
    if unknown:
        raise TypeError(f"unknown venue fields: {sorted(unknown)}")
    venue = Venue(**fields)
    clean_or_raise(venue)
    venue.save()
    audit_record(actor=actor, action="delivery.venue.created", target=venue)
    return venue


@transaction.atomic
def venue_update(*, venue: Venue, actor: Person, **fields: Any) -> Venue:
    unknown = set(fields) - set(VENUE_FIELDS)
    if unknown:
        raise TypeError(f"unknown venue fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(venue, name, value)
    clean_or_raise(venue)
    venue.save()
    audit_record(actor=actor, action="delivery.venue.changed", target=venue)
    return venue


@transaction.atomic
def material_add(
    *, course: Course, upload: UploadedFile, actor: Person, title: str = "", for_trainers: bool
) -> CourseMaterial:
    """Attach a checked file to a course (stored under a random name, served as a download)."""
    checked = check_upload(upload)
    material = CourseMaterial(
        course=course,
        title=title.strip() or checked.original_name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        for_trainers=for_trainers,
    )
    material.file.save(checked.storage_name, upload, save=False)
    material.save()
    audit_record(actor=actor, action="delivery.course.material_added", target=course)
    return material
