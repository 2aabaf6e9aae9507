"""Programs and their versions, steps, the question bank, cohorts, enrolments and progress.

A program is edited as a *draft version*; publishing freezes it. People enrolled keep the version
they started, so editing a program never moves anyone's progress. Step details that differ by kind
live in ``Step.config`` (validated by :mod:`cascade.learning.step_config`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    TRAINERS = "trainers", _("Trainers (train-the-trainer)")
    LEARNERS = "learners", _("Learners (blended follow-up of a course)")


class Program(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.TRAINERS
    )
    org_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("owned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ProgramVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="version_unique_number"),
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(status="draft"),
                name="version_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Module(models.Model):
    """A named group of steps inside a version (e.g. "Week 1: How adults learn")."""

    version = models.ForeignKey(ProgramVersion, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.title


class StepKind(models.TextChoices):
    LESSON = "lesson", _("Lesson")
    QUIZ = "quiz", _("Quiz")
    LIVE_SESSION = "live_session", _("Live session")
    TEACH_BACK = "teach_back", _("Teach-back")
    ON_THE_JOB = "on_the_job", _("On-the-job task")
    REFLECTION = "reflection", _("Reflection")
    MENTORING = "mentoring", _("Mentoring meeting")


class Step(models.Model):
    version = models.ForeignKey(ProgramVersion, on_delete=models.CASCADE, related_name="steps")
    module = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    # Stable across versions (a copied step keeps its key): links from other areas and
    # export/import use it.
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Markdown: the lesson, instructions or prompt.")
    )
    required = models.BooleanField(_("required"), default=True)
    due_offset_days = models.PositiveIntegerField(
        _("due (days after the cohort starts)"), null=True, blank=True
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks"
    )
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="step_unique_key_in_version")
        ]

    def __str__(self) -> str:
        return self.title


class StepResource(models.Model):
    """A downloadable file attached to a step (slides, handouts, an uploaded video)."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="learning/resources/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["step", "id"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")
    SHORT = "short", _("Short answer")
    ORDERING = "ordering", _("Put in order")
    MATCHING = "matching", _("Matching")


class BloomLevel(models.TextChoices):
    REMEMBER = "remember", _("Remember")
    UNDERSTAND = "understand", _("Understand")
    APPLY = "apply", _("Apply")
    ANALYZE = "analyze", _("Analyse")
    EVALUATE = "evaluate", _("Evaluate")
    CREATE = "create", _("Create")


class Question(models.Model):
    """A question in a program's bank; its answer key lives in ``data`` and never leaves the
    server before an attempt is submitted (see :mod:`cascade.learning.quiz`)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=QuestionKind.choices)
    prompt = models.TextField(_("question"))
    data = models.JSONField(default=dict)
    explanation = models.TextField(_("explanation shown after submitting"), blank=True)
    topic = models.CharField(_("topic"), max_length=100, blank=True, db_index=True)
    bloom_level = models.CharField(
        _("Bloom level"), max_length=12, choices=BloomLevel.choices, blank=True
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="question_unique_key")
        ]

    def __str__(self) -> str:
        return self.prompt[:80]


class StepQuestion(models.Model):
    """Which bank questions a quiz step draws from, in order."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="step_questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["step", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "question"], name="step_question_unique")
        ]

    def __str__(self) -> str:
        return f"{self.step_id}:{self.question_id}"


class Cohort(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cohorts")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(_("name"), max_length=150)
    start_date = models.DateField(_("starts on"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    master_trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="coached_cohorts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "name"]

    def __str__(self) -> str:
        return f"{self.program} — {self.name}"


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_enrolments"
    )
    # Frozen at enrolment: the version this person works through, whatever is published later.
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentees",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cohort", "person"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "person"], name="enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.cohort}"


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Waiting for review")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Not passed")


class StepProgress(models.Model):
    """One person's state on one step; absent row means not started."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(
        max_length=12, choices=ProgressStatus.choices, default=ProgressStatus.IN_PROGRESS
    )
    score = models.FloatField(null=True, blank=True)
    checklist = models.JSONField(default=list, blank=True)
    submission = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="progress_unique")
        ]
        indexes = [models.Index(fields=["step", "status"], name="progress_step_status_idx")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}:{self.step_id} {self.status}"


class EvidenceFile(models.Model):
    """A file a candidate uploads as evidence for an on-the-job task or a teach-back."""

    progress = models.ForeignKey(StepProgress, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="learning/evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class QuizAttempt(models.Model):
    """One attempt at a quiz step. ``served`` is the snapshot of what was asked (answer key
    included, kept server-side) so later edits to the bank never change a past grade."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    served = models.JSONField(default=list)
    responses = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=list, blank=True)
    score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True)
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["enrolment", "step", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "step", "number"], name="attempt_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} on {self.step_id}"


class ReflectionEntry(models.Model):
    """A candidate's journal answer to a reflection step, and the master trainer's reply."""

    progress = models.OneToOneField(
        StepProgress, on_delete=models.CASCADE, related_name="reflection"
    )
    text = models.TextField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reflection {self.progress_id}"


class MentoringLog(models.Model):
    """A mentoring meeting: when, what was discussed and the actions agreed."""

    progress = models.ForeignKey(StepProgress, on_delete=models.CASCADE, related_name="meetings")
    met_on = models.DateField()
    notes = models.TextField(blank=True)
    actions = models.TextField(_("agreed actions"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-met_on", "-id"]

    def __str__(self) -> str:
        return f"meeting {self.met_on}"
