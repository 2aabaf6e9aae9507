"""The live room of a session: questions and votes, polls and responses, reactions, the
participation log and the trainer's planned questions.

Counters that many people change at once (``RoomQuestion.vote_count``) move with ``F()`` and
only after the unique row that justifies them was inserted, so a double click from two tabs
counts once. Everything is kept after the session for the trainer's review and evaluation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Room(models.Model):
    """One per session; made on first use. ``closed_at`` closes it early (or reopens when None)."""

    session = models.OneToOneField(
        "delivery.Session", on_delete=models.CASCADE, related_name="live_room"
    )
    join_code = models.CharField(max_length=8, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    current_poll = models.ForeignKey(
        "live.Poll", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"room of {self.session_id}"


class RoomQuestion(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        HIDDEN = "hidden", _("Hidden")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Anonymous to the other learners and on the projector; never to the trainers.
    anonymous = models.BooleanField(default=False)
    text = models.TextField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    pinned = models.BooleanField(default=False)
    vote_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "-vote_count", "created_at", "id"]
        indexes = [models.Index(fields=["room", "status"], name="live_question_room_idx")]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVote(models.Model):
    question = models.ForeignKey(RoomQuestion, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "person"], name="live_one_vote_each")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.question_id}"


class PollKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    RATING = "rating", _("Rating scale")
    WORD_CLOUD = "word_cloud", _("Word cloud")
    OPEN_TEXT = "open_text", _("Open text")
    CONFIDENCE = "confidence", _("Confidence before/after")


class Poll(models.Model):
    """A poll or quick check. Prepared ones are written before the session and launched in it.

    A confidence poll asks the same question twice: its ``before`` is the earlier poll, so the
    results show the shift.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Ready to launch")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="polls")
    kind = models.CharField(max_length=12, choices=PollKind.choices)
    prompt = models.CharField(_("question"), max_length=300)
    options = models.JSONField(default=list, blank=True)
    scale_max = models.PositiveSmallIntegerField(default=5)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    revealed = models.BooleanField(default=False)
    before = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="after"
    )
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "position", "id"]

    def __str__(self) -> str:
        return self.prompt[:60]


class PollResponse(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "person"], name="live_one_response_each")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.poll_id}"


class ReactionKind(models.TextChoices):
    TOO_FAST = "too_fast", _("Too fast")
    LOST = "lost", _("Lost me")
    GOT_IT = "got_it", _("Got it")


class Reaction(models.Model):
    """A pace signal. Shown only as counts over the last minutes, never per person."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReactionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.kind


class ContributionKind(models.TextChoices):
    QUESTION = "question", _("Asked a question")
    POLL = "poll", _("Answered a poll")
    SPOKEN = "spoken", _("Spoke")
    VOTE = "vote", _("Upvoted a question")


class Contribution(models.Model):
    """One contribution by one person: the participation panel and evaluation count these.

    Spoken turns are logged by the co-facilitator with one tap (``logged_by``).
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="contributions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ContributionKind.choices)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["room", "person"], name="live_contrib_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class Presence(models.Model):
    """Who joined the room (and when last seen): "has not contributed yet" means present."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presence")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "person"], name="live_presence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.room_id}"


class PlannedQuestion(models.Model):
    """A question the trainer plans to ask, with the coach's classification."""

    session = models.ForeignKey(
        "delivery.Session", on_delete=models.CASCADE, related_name="planned_questions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=500)
    level = models.CharField(max_length=12)
    open = models.BooleanField()
    confident = models.BooleanField()
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "position", "id"]

    def __str__(self) -> str:
        return self.text[:60]
