"""Background work of delivery: reminders before sessions."""

from __future__ import annotations

from django_tasks import task

from cascade.delivery.services.reminders import reminders_send


@task()
def session_reminders_send(session_id: int) -> int:
    """Send the reminders of one session that are due; safe to run twice (dedupe keys)."""
    return reminders_send(session_id=session_id)
