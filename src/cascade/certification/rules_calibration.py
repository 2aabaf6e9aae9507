"""Who may calibrate, write reference recordings and read rater reliability. Views and services
ask these; they never decide access themselves."""

from __future__ import annotations

from cascade.certification.models import CalibrationAttempt
from cascade.certification.selectors.calibration import is_certifying_observer
from cascade.people.models import Person, Role


def can_calibrate(viewer: Person) -> bool:
    """Everyone who scores teach-backs: trainers observing as peers, master trainers and
    program managers."""
    return viewer.is_active and viewer.has_role(
        Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER
    )


def can_oversee(viewer: Person) -> bool:
    """Program managers and master trainers: they run the observer pool, so they read the
    reliability figures and other observers' results."""
    return viewer.is_active and viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER)


def can_author(viewer: Person) -> bool:
    """Program managers, and master trainers who are certifying observers themselves: a
    master level is the answer key others are judged against, so whoever sets it must have
    shown they score reliably (program managers start the first exercise)."""
    if not viewer.is_active:
        return False
    if viewer.has_role(Role.PROGRAM_MANAGER):
        return True
    return viewer.has_role(Role.MASTER_TRAINER) and is_certifying_observer(viewer)


def can_see_attempt(viewer: Person, attempt: CalibrationAttempt) -> bool:
    """An attempt's result is the observer's own, and their overseers'."""
    return (viewer.is_active and attempt.observer_id == viewer.pk) or can_oversee(viewer)
