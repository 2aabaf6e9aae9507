"""Background work of certification: the daily sweep (renewals, reminders, lapses)."""

from __future__ import annotations

from django_tasks import task

from cascade.certification.services.awards import certifications_sweep


@task()
def certifications_sweep_task() -> dict[str, int]:
    """Renew what earned renewal, send due 90/30/7-day reminders, lapse what expired. Safe to
    run twice: each reminder and each lapse happens once."""
    return certifications_sweep()
