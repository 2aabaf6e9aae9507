"""Threaded discussions attached to a course, a cohort or a session.

A thread belongs to exactly one of the three (a check constraint); who may read it follows from
that target (:mod:`cascade.delivery.rules`). Posts keep what the author typed; they are rendered
through the one Markdown sanitiser.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Thread(models.Model):
    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("Discussion")
        QUESTION = "question", _("Question")

    course = models.ForeignKey(
        "delivery.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="threads"
    )
    session = models.ForeignKey(
        "delivery.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="threads"
    )
    cohort = models.ForeignKey(
        "learning.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="threads"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DISCUSSION)
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    post_count = models.PositiveIntegerField(default=0)
    answer = models.ForeignKey(
        "delivery.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(course__isnull=False, session__isnull=True, cohort__isnull=True)
                    | Q(course__isnull=True, session__isnull=False, cohort__isnull=True)
                    | Q(course__isnull=True, session__isnull=True, cohort__isnull=False)
                ),
                name="thread_has_one_place",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_answered(self) -> bool:
        return self.answer_id is not None


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["thread", "created_at", "id"]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.thread_id}"


class Subscription(models.Model):
    """Who hears about new posts in a thread: its author, repliers, the mentioned, volunteers."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "person"], name="subscription_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} follows {self.thread_id}"
