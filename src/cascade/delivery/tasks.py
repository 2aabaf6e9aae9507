"""Background work of delivery: reminders before sessions, and scheduling them."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cascade.delivery.models import Session
from cascade.delivery.services.reminders import reminders_send


@task()
def session_reminders_send(session_id: int) -> int:
    """Send the reminders of one session that are due; safe to run twice (dedupe keys)."""
    return reminders_send(session_id=session_id)


def reminders_schedule(session: Session, *, only_if_due: bool = False) -> None:
    """Ask the worker to run the sweep for this session when each part's reminder falls due.

    Opening or moving a session schedules every part; a new enrolment needs a run only when a
    reminder is already due (someone enrolling the day before), so it passes ``only_if_due``
    rather than queueing a deferred task per person.
    """
    if session.status != Session.Status.OPEN:
        return
    now = timezone.now()
    for slot in session.slots.filter(cancelled=False, starts_at__gt=now):
        due = slot.starts_at - timedelta(hours=session.reminder_lead_hours)
        if only_if_due and due > now:
            continue
        transaction.on_commit(partial(_enqueue, session.pk, due, now))


def _enqueue(session_id: int, due: datetime, now: datetime) -> None:
    if due <= now or not session_reminders_send.get_backend().supports_defer:
        # Already due (or a backend that runs tasks at once): sweep now.
        session_reminders_send.enqueue(session_id)
    else:
        session_reminders_send.using(run_after=due).enqueue(session_id)
