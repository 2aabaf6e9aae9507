"""People, their roles and org units, and their API tokens."""

from __future__ import annotations

import zoneinfo
from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    MASTER_TRAINER = "master_trainer", _("Master trainer")
    TRAINER = "trainer", _("Trainer")
    LEARNER = "learner", _("Learner")
    MANAGER = "manager", _("Manager")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("“%(tz)s” is not a known time zone."), params={"tz": value}
        ) from exc


class OrgUnit(models.Model):
    """A department, region or site; a tree stored with a materialised path.

    ``path`` ("/1/5/12/") makes "this unit and everything below it" one indexed prefix query,
    which is what program-manager scoping asks on every page.
    """

    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> Person:
        if not email:
            raise ValueError("An email address is required.")
        person = self.model(email=self.normalize_email(email).lower(), **extra)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> Person:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> Person:
        return self.get(email__iexact=username or "")


class Person(AbstractBaseUser, PermissionsMixin):
    """Everyone who uses Cascade; email is the login."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    language = models.CharField(_("interface language"), max_length=10, default="en")
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("ISO codes, e.g. en, fr")
    )
    region = models.CharField(_("region"), max_length=80, blank=True, db_index=True)
    location = models.CharField(_("location"), max_length=150, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator (admin site)"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")), name="person_not_own_manager"
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "is_active"], name="person_unit_active_idx"),
            # The directory lists people by name: this index serves its ORDER BY ... LIMIT.
            models.Index(fields=["display_name", "id"], name="person_name_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email

    @cached_property
    def _role_rows(self) -> list[tuple[str, int | None]]:
        # One query per request gives both the roles and the program-manager scopes.
        if not self.pk:
            return []
        return list(self.role_assignments.values_list("role", "org_unit_id"))

    @cached_property
    def roles(self) -> frozenset[str]:
        """The role names this person holds (one query per request, then cached)."""
        return frozenset(role for role, _unit in self._role_rows)

    def forget_roles(self) -> None:
        """Drop the cached roles after they change, so the next read queries again."""
        for name in ("_role_rows", "roles", "manages_whole_organisation"):
            self.__dict__.pop(name, None)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(set(roles) & self.roles)

    @cached_property
    def manages_whole_organisation(self) -> bool:
        """A program manager with no org-unit scope (or a superuser): sees organisation-wide
        records such as the audit log."""
        if self.is_superuser:
            return True
        return any(role == Role.PROGRAM_MANAGER and unit is None for role, unit in self._role_rows)


class RoleAssignment(models.Model):
    """A role a person holds; for program managers, optionally scoped to an org unit subtree."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        help_text=_("Empty means the whole organisation."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "org_unit"],
                condition=models.Q(org_unit__isnull=False),
                name="role_unique_scoped",
            ),
            models.UniqueConstraint(
                fields=["person", "role"],
                condition=models.Q(org_unit__isnull=True),
                name="role_unique_global",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"


class AccessToken(models.Model):
    """A personal access token for the API: shown once, stored as a SHA-256 hash."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
