"""Who uses the pool's pages."""

from __future__ import annotations

from cascade.people.models import Person, Role


def can_keep_availability(viewer: Person) -> bool:
    """Trainers and master trainers keep their own availability and profile."""
    return viewer.is_active and viewer.has_role(Role.TRAINER, Role.MASTER_TRAINER)


def can_see_pool(viewer: Person) -> bool:
    """Program managers and master trainers see the pool as a whole (who can deliver what)."""
    return viewer.is_active and viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER)
