"""Every write of the people area: org units, people, roles, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.people import rules
from cascade.people.links import person_set_password_link  # noqa: F401 - re-exported
from cascade.people.models import AccessToken, OrgUnit, Person, Role, RoleAssignment
from cascade.people.tasks import set_password_email_send

TOKEN_PREFIX = "csc_"  # noqa: S105 - a public marker, not a secret


# --- Org units ------------------------------------------------------------------------------


def _unit_path(unit: OrgUnit) -> tuple[str, int]:
    if unit.parent_id is None:
        return f"/{unit.pk}/", 0
    parent = OrgUnit.objects.only("path", "depth").get(pk=unit.parent_id)
    return f"{parent.path}{unit.pk}/", parent.depth + 1


@transaction.atomic
def org_unit_create(
    *, name: str, code: str, parent: OrgUnit | None = None, actor: Person | None = None
) -> OrgUnit:
    """Create an org unit under ``parent`` (or at the top) and compute its path."""
    unit = OrgUnit(name=name.strip(), code=code.strip(), parent=parent)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path, unit.depth = _unit_path(unit)
    unit.save(update_fields=["path", "depth"])
    if actor is not None:
        audit_record(
            actor=actor,
            action="people.org_unit.created",
            target=unit,
            changes={"name": unit.name, "parent": parent.pk if parent else None},
        )
    return unit


@transaction.atomic
def org_unit_update(
    *, unit: OrgUnit, actor: Person, name: str | None = None, parent: OrgUnit | Any | None = ...
) -> OrgUnit:
    """Rename or move a unit; moving rewrites the paths of its whole subtree."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != unit.name:
        changes["name"] = [unit.name, name.strip()]
        unit.name = name.strip()
    if parent is not ... and (parent.pk if parent else None) != unit.parent_id:
        if parent is not None and parent.path.startswith(unit.path):
            raise ApplicationError(
                _("A unit cannot be moved under itself or one of its own sub-units."),
                code="org_unit_cycle",
            )
        changes["parent"] = [unit.parent_id, parent.pk if parent else None]
        old_path = unit.path
        unit.parent = parent
        unit.path, unit.depth = _unit_path(unit)
        for sub in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            sub.path = unit.path + sub.path[len(old_path) :]
            sub.depth = sub.path.count("/") - 2
            sub.save(update_fields=["path", "depth"])
    unit.full_clean(exclude=["path", "parent"])
    unit.save()
    if changes:
        audit_record(actor=actor, action="people.org_unit.updated", target=unit, changes=changes)
    return unit


# --- People ---------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "display_name",
    "time_zone",
    "language",
    "languages",
    "region",
    "location",
    "job_title",
)


def _check_manager(person: Person, manager: Person | None) -> None:
    if manager is None:
        return
    if person.pk and manager.pk == person.pk:
        raise ApplicationError(_("A person cannot be their own manager."), code="manager_cycle")
    # Walk up from the new manager: meeting ``person`` would make a loop.
    current: Person | None = manager
    hops = 0
    while current is not None and hops < 50:
        if person.pk and current.pk == person.pk:
            raise ApplicationError(
                _("%(manager)s reports to %(person)s already; that would make a loop.")
                % {"manager": manager, "person": person},
                code="manager_cycle",
            )
        current = current.manager
        hops += 1


def _check_roles(roles: set[str]) -> None:
    unknown = roles - set(Role.values)
    if unknown:
        raise ApplicationError(
            _("Unknown role: %(roles)s") % {"roles": ", ".join(sorted(unknown))},
            code="unknown_role",
        )


def _check_pm_scope(actor: Person | None, roles: set[str], scope: OrgUnit | None) -> None:
    """A program manager of some units may grant program management only inside them."""
    if actor is None or Role.PROGRAM_MANAGER not in roles:
        return
    paths = rules.managed_unit_paths(actor)
    if paths is None:
        return
    if scope is None or not any(scope.path.startswith(p) for p in paths):
        raise ApplicationError(
            _("You can only grant program management in your own org units."),
            code="scope_forbidden",
            status=403,
        )


@transaction.atomic
def person_create(
    *,
    email: str,
    display_name: str,
    actor: Person | None = None,
    org_unit: OrgUnit | None = None,
    manager: Person | None = None,
    roles: Iterable[str] = (Role.LEARNER,),
    scope: OrgUnit | None = None,
    password: str | None = None,
    **profile: Any,
) -> Person:
    """Create a person (no usable password unless given) with their roles.

    ``scope`` is the org unit of a program manager role (None: the whole organisation).
    """
    email = email.strip().lower()
    roles_set = set(roles)
    _check_roles(roles_set)
    _check_pm_scope(actor, roles_set, scope)
    if Person.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("Someone with the email %(email)s already exists.") % {"email": email},
            code="email_taken",
            status=409,
        )
    person = Person(
        email=email, display_name=display_name.strip(), org_unit=org_unit, manager=manager
    )
    for field, value in profile.items():
        if field not in PROFILE_FIELDS:
            raise TypeError(f"unknown profile field {field}")
        setattr(person, field, value)
    person.set_password(password) if password else person.set_unusable_password()
    person.full_clean()
    try:
        person.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("That email address is already in use."), code="email_taken", status=409
        ) from exc
    roles_list = sorted(roles_set)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=person, role=r, org_unit=scope if r == Role.PROGRAM_MANAGER else None)
        for r in roles_list
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action="people.person.created",
            target=person,
            changes={"email": email, "roles": roles_list},
        )
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    actor: Person,
    org_unit: OrgUnit | Any | None = ...,
    manager: Person | Any | None = ...,
    **profile: Any,
) -> Person:
    """Change a person's profile, unit or manager; unit and manager changes are audited."""
    changes: dict[str, Any] = {}
    for field, value in profile.items():
        if field not in PROFILE_FIELDS:
            raise TypeError(f"unknown profile field {field}")
        if getattr(person, field) != value:
            changes[field] = [getattr(person, field), value]
            setattr(person, field, value)
    if org_unit is not ... and (org_unit.pk if org_unit else None) != person.org_unit_id:
        changes["org_unit"] = [person.org_unit_id, org_unit.pk if org_unit else None]
        person.org_unit = org_unit
    if manager is not ... and (manager.pk if manager else None) != person.manager_id:
        _check_manager(person, manager)
        changes["manager"] = [person.manager_id, manager.pk if manager else None]
        person.manager = manager
    person.full_clean()
    person.save()
    if changes:
        audit_record(actor=actor, action="people.person.updated", target=person, changes=changes)
    return person


@transaction.atomic
def person_roles_set(
    *,
    person: Person,
    roles: Iterable[str],
    actor: Person,
    scope: OrgUnit | None = None,
    notify: bool = True,
) -> list[str]:
    """Replace the person's roles; program-manager scope is ``scope`` (None: organisation)."""
    wanted = set(roles)
    _check_roles(wanted)
    if (
        person.pk == actor.pk
        and Role.PROGRAM_MANAGER not in wanted
        and actor.has_role(Role.PROGRAM_MANAGER)
        and not actor.is_superuser
    ):
        raise ApplicationError(
            _("You cannot remove your own program manager role."), code="self_demotion"
        )
    _check_pm_scope(actor, wanted, scope)
    before = sorted(set(person.role_assignments.values_list("role", flat=True)))
    pm_before = sorted(
        person.role_assignments.filter(role=Role.PROGRAM_MANAGER).values_list(
            "org_unit_id", flat=True
        ),
        key=lambda pk: pk or 0,
    )
    person.role_assignments.exclude(role__in=wanted).delete()
    if Role.PROGRAM_MANAGER in wanted:
        # The program manager role has exactly the scope asked for, also when only that changed.
        person.role_assignments.filter(role=Role.PROGRAM_MANAGER).exclude(
            pk__in=person.role_assignments.filter(role=Role.PROGRAM_MANAGER, org_unit=scope).values(
                "pk"
            )
        ).delete()
    have = set(person.role_assignments.values_list("role", flat=True))
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=person, role=r, org_unit=scope if r == Role.PROGRAM_MANAGER else None)
        for r in sorted(wanted - have)
    )
    after = sorted(wanted)
    pm_after = [scope.pk if scope else None] if Role.PROGRAM_MANAGER in wanted else []
    person.forget_roles()
    if before != after or pm_before != pm_after:
        changes: dict[str, Any] = {"roles": [before, after]}
        if pm_before != pm_after:
            changes["program_manager_scope"] = [pm_before, pm_after]
        audit_record(
            actor=actor,
            action="people.person.roles_changed",
            target=person,
            changes=changes,
        )
        if notify:
            labels = ", ".join(str(Role(r).label) for r in after) or _("none")
            notification_send(
                recipient=person,
                kind=NotificationKind.ROLE_CHANGED,
                title=_("Your roles in Cascade changed"),
                body=_("Your roles are now: %(roles)s.") % {"roles": labels},
                url="/",
            )
    return after


@transaction.atomic
def person_deactivate(*, person: Person, actor: Person) -> Person:
    """Deactivate (never delete) a person: they can no longer sign in; history stays."""
    if person.pk == actor.pk:
        raise ApplicationError(_("You cannot deactivate yourself."), code="self_deactivation")
    if not person.is_active:
        return person
    person.is_active = False
    person.deactivated_at = timezone.now()
    person.save(update_fields=["is_active", "deactivated_at"])
    AccessToken.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(actor=actor, action="people.person.deactivated", target=person)
    return person


@transaction.atomic
def person_reactivate(*, person: Person, actor: Person) -> Person:
    """Let a deactivated person sign in again."""
    if person.is_active:
        return person
    person.is_active = True
    person.deactivated_at = None
    person.save(update_fields=["is_active", "deactivated_at"])
    audit_record(actor=actor, action="people.person.reactivated", target=person)
    return person


@transaction.atomic
def person_invite(*, person: Person, actor: Person) -> Person:
    """Email the person a one-time link to choose a password and sign in."""
    if not person.is_active:
        raise ApplicationError(_("This person is deactivated."), code="inactive")
    if person.has_usable_password() and person.last_login is not None:
        raise ApplicationError(_("This person has already signed in."), code="already_active")
    person.invited_at = timezone.now()
    person.save(update_fields=["invited_at"])
    # The link carries a password token: it is built by the task and only ever put in the
    # email, never stored (not in notifications, not in the task's arguments).
    inviter = str(actor)
    transaction.on_commit(lambda: set_password_email_send.enqueue(person.pk, "invite", inviter))
    audit_record(actor=actor, action="people.person.invited", target=person)
    return person


# --- Tokens ---------------------------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    person: Person,
    name: str,
    scope: str = AccessToken.Scope.READ,
    expires_at: datetime | None = None,
) -> tuple[AccessToken, str]:
    """Create a personal access token; the plain key is returned once and never stored."""
    if scope not in AccessToken.Scope.values:
        raise ApplicationError(_("Scope must be read or write."), code="invalid_scope")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(
        person=person,
        name=name.strip() or _("API token"),
        prefix=key[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash_key(key),
        scope=scope,
        expires_at=expires_at,
    )
    try:
        token.full_clean()
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages), code="invalid") from exc
    token.save()
    audit_record(
        actor=person, action="people.token.created", target=token, changes={"scope": scope}
    )
    return token, key


def token_revoke(*, token: AccessToken, actor: Person) -> AccessToken:
    """Revoke a token for good; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="people.token.revoked", target=token)
    return token


def token_authenticate(key: str) -> AccessToken | None:
    """The usable token (with its active person) for ``key``, or None; records last use."""
    if not key or not key.startswith(TOKEN_PREFIX) or len(key) > 100:
        return None
    token = (
        AccessToken.objects.select_related("person")
        .filter(key_hash=_hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_usable or not token.person.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def password_reset_request(*, email: str) -> None:
    """Send a reset link if an active person has this email; silent otherwise (no enumeration)."""
    person = Person.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if person is None:
        return
    person_id = person.pk
    transaction.on_commit(lambda: set_password_email_send.enqueue(person_id, "reset", ""))
