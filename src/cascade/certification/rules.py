"""Who may read and change competency frameworks and rubrics. Views and the API ask these; they
never decide access themselves."""

from __future__ import annotations

from cascade.people.models import Person, Role


def can_read(viewer: Person) -> bool:
    """The people who teach, coach or run the programmes: they are assessed against, or assess
    with, the framework and its rubrics (candidates are trainers)."""
    return viewer.is_active and viewer.has_role(
        Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER
    )


def can_edit(viewer: Person) -> bool:
    """Program managers of the whole organisation: frameworks and rubrics are organisation-wide,
    so a manager scoped to some units must not change what everyone is assessed against."""
    return (
        viewer.is_active
        and viewer.has_role(Role.PROGRAM_MANAGER)
        and viewer.manages_whole_organisation
    )


def can_manage_observations(viewer: Person) -> bool:
    """Program managers and master trainers run observations: assign observers, moderate."""
    return viewer.is_active and viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER)


def can_observe_as_master(viewer: Person) -> bool:
    return viewer.is_active and viewer.has_role(Role.MASTER_TRAINER)


def can_award(viewer: Person) -> bool:
    """Awarding, suspending and revoking certifications is a program manager's decision."""
    return viewer.is_active and viewer.has_role(Role.PROGRAM_MANAGER)
