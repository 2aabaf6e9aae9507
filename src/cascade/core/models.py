"""Shared records every area writes: notifications, email preferences, the audit log.

Keyed to ``settings.AUTH_USER_MODEL`` so that core never imports the people area.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Every kind of notification; each person can turn email off per kind."""

    INVITATION = "invitation", _("Invitations")
    ROLE_CHANGED = "role_changed", _("Changes to your roles")
    ACCOUNT = "account", _("Account and security")
    GENERAL = "general", _("General announcements")
    PROGRAM = "program", _("Your programs: enrolments and reminders")
    REVIEW = "review", _("Feedback on your work: sign-offs and replies")
    TO_REVIEW = "to_review", _("Work waiting for you to review")
    SESSION = "session", _("Your sessions: places, waitlist, changes and reminders")
    DISCUSSION = "discussion", _("Discussions: mentions and replies")


class Notification(models.Model):
    class EmailStatus(models.TextChoices):
        NONE = "none", _("No email")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)
    # Lets a caller make a notification idempotent (e.g. "reminder:session:12:person:7").
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)
    # An iCalendar object (METHOD:REQUEST or CANCEL) that the email carries as an invitation.
    calendar = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="notif_unique_dedupe",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="notif_pref_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {'email' if self.email else 'in-app only'}"


class AuditEntry(models.Model):
    """Who changed what, when and from where: append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
