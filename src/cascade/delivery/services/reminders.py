"""Reminders before each part of a session: sent once per person and part.

The sweep :func:`reminders_send` is what sends; it is safe to run any number of times because
each reminder has a dedupe key made of the part and its start time (a moved part earns a new
reminder, a repeated run none). ``delivery.tasks.reminders_schedule`` asks the task worker to
run the sweep when a part's reminder falls due; ``python -m cascade reminders`` runs it from cron
as well.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.models import Notification, NotificationKind
from cascade.core.services import notification_send
from cascade.delivery.models import Booking, Session, SessionStaff, TimeSlot
from cascade.delivery.services.notify import when_for

HORIZON = timedelta(days=14)  # no reminder lead time is longer than this


def reminders_send(*, now: datetime | None = None, session_id: int | None = None) -> int:
    """Send every reminder that is due and not sent yet; returns how many were sent."""
    now = now or timezone.now()
    slots = (
        TimeSlot.objects.filter(
            cancelled=False,
            starts_at__gt=now,
            starts_at__lte=now + HORIZON,
            session__status=Session.Status.OPEN,
        )
        .select_related("session")
        .order_by("starts_at")
    )
    if session_id is not None:
        slots = slots.filter(session_id=session_id)
    due = [s for s in slots if s.starts_at - timedelta(hours=s.session.reminder_lead_hours) <= now]
    if not due:
        return 0
    session_ids = {s.session_id for s in due}
    people: dict[int, list[Any]] = {sid: [] for sid in session_ids}
    for booking in Booking.objects.filter(
        session_id__in=session_ids, status=Booking.Status.ENROLLED, person__is_active=True
    ).select_related("person"):
        people[booking.session_id].append(booking.person)
    for staff in SessionStaff.objects.filter(
        session_id__in=session_ids,
        status__in=(SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED),
        person__is_active=True,
    ).select_related("person"):
        people[staff.session_id].append(staff.person)
    keys = {f"reminder:{slot.pk}:{int(slot.starts_at.timestamp())}" for slot in due}
    already = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key")
    )
    sent = 0
    for slot in due:
        session = slot.session
        key = f"reminder:{slot.pk}:{int(slot.starts_at.timestamp())}"
        for person in people[session.pk]:
            if (person.pk, key) in already:
                continue
            notification_send(
                recipient=person,
                kind=NotificationKind.SESSION,
                title=_("Reminder: %(s)s starts soon") % {"s": session.title},
                body=_("Starts %(when)s.") % {"when": when_for(person, slot.starts_at)},
                url=reverse("delivery:session", args=[session.pk]),
                dedupe_key=key,
            )
            sent += 1
    return sent
