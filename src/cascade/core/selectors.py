"""Reads of the shared machinery, with their joins decided here."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from cascade.core.models import AuditEntry, Notification


def notifications_for(*, recipient: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=recipient)


def notification_unread_count(*, recipient: Any) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def audit_entries(
    *,
    action: str = "",
    actor_id: int | None = None,
    target_type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """The audit log, newest first, filtered; the actor is joined for display."""
    qs = AuditEntry.objects.select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if target_type:
        qs = qs.filter(target_type=target_type)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until:
        qs = qs.filter(created_at__lte=datetime.combine(until, time.max, tzinfo=tz))
    return qs
