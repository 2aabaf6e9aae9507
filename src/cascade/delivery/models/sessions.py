"""Dated deliveries: sessions, their time slots and staff, people's places on them (bookings,
with the waitlist and attendance) and each person's private calendar feed.

Times are stored in UTC. ``Session.starts_at``/``ends_at`` mirror the first and last live slot so
lists and clash checks filter one table; :mod:`cascade.delivery.services.sessions` keeps them in
step. ``Session.enrolled_count`` is the capacity counter that enrolment claims with a conditional
UPDATE (see :mod:`cascade.delivery.services.enrolment`); the check constraint is the last line of
defence against overbooking.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


class StaffRole(models.TextChoices):
    LEAD = "lead", _("Lead trainer")
    CO_FACILITATOR = "co_facilitator", _("Co-facilitator")


class Session(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    course = models.ForeignKey(
        "delivery.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    # A live step of a trainer-development program, delivered to one cohort.
    step = models.ForeignKey(
        "learning.Step", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    cohort = models.ForeignKey(
        "learning.Cohort",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what to expect"), blank=True)
    modality = models.CharField(
        _("modality"), max_length=10, choices=Modality.choices, default=Modality.IN_PERSON
    )
    venue = models.ForeignKey(
        "delivery.Venue",
        verbose_name=_("venue"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    room = models.CharField(_("room"), max_length=100, blank=True)
    join_url = models.URLField(_("join link"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    leads_needed = models.PositiveSmallIntegerField(_("lead trainers needed"), default=1)
    co_facilitators_needed = models.PositiveSmallIntegerField(
        _("co-facilitators needed"), default=0
    )
    self_enrol = models.BooleanField(_("learners may enrol themselves"), default=True)
    needs_approval = models.BooleanField(_("nominations need approval"), default=False)
    cancel_cutoff_hours = models.PositiveIntegerField(
        _("free cancellation until (hours before the start)"), default=48
    )
    reminder_lead_hours = models.PositiveIntegerField(
        _("reminder (hours before each part)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(336)],  # the reminder sweep's horizon
    )
    org_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("owned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    check_in_code = models.CharField(max_length=8, blank=True)
    enrolled_count = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # iCalendar SEQUENCE: bumped whenever times, place or status change.
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enrolled_count__lte=F("capacity")), name="session_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=False) | Q(step__isnull=False),
                name="session_serves_course_or_step",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="session_status_start_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def is_full(self) -> bool:
        return self.enrolled_count >= self.capacity

    @property
    def state(self) -> str:
        """The status people see: draft, open, full or cancelled."""
        if self.status == self.Status.OPEN and self.is_full:
            return "full"
        return str(self.status)

    @property
    def has_place(self) -> bool:
        return self.modality in (Modality.IN_PERSON, Modality.HYBRID) and self.venue_id is not None


class TimeSlot(models.Model):
    """One part of a session (a multi-day course has several). Cancelled parts stay, marked, so
    calendars receive the cancellation instead of silently losing the event."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="slot_time_idx")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.starts_at:%Y-%m-%d %H:%M}"


class SessionStaff(models.Model):
    """A trainer assigned to a session in a role; the pool's optimiser proposes these."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="staff")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_staffed"
    )
    role = models.CharField(max_length=20, choices=StaffRole.choices, default=StaffRole.LEAD)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="staff_unique_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} on {self.session_id}"


class Attendance(models.TextChoices):
    NOT_MARKED = "", _("Not marked")
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class Booking(models.Model):
    """A person's place on a session, or their place in its queue.

    One row per person and session for its whole life: cancelling and re-enrolling change the
    status, so the history (late cancellation, attendance) is never lost.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ENROLLED = "enrolled", _("Enrolled")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Not approved")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Queue order: when the person (last) joined the waitlist.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    late_cancel = models.BooleanField(default=False)
    attendance = models.CharField(
        max_length=10, choices=Attendance.choices, default=Attendance.NOT_MARKED, blank=True
    )
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendance_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="booking_unique_person")
        ]
        indexes = [
            models.Index(fields=["session", "status", "waitlisted_at"], name="booking_queue_idx"),
            models.Index(fields=["person", "status"], name="booking_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.session_id}: {self.status}"

    @property
    def attended(self) -> bool:
        return self.attendance in (Attendance.PRESENT, Attendance.LATE)


class CalendarFeed(models.Model):
    """A person's private iCalendar address. The token is a capability, like a calendar
    provider's "secret address": whoever has the URL reads the feed, so it can be reset."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed of {self.person_id}"
