"""Writes of the shared machinery: notifications and the audit log."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from cascade.core.middleware import current_request_meta
from cascade.core.models import AuditEntry, Notification, NotificationKind, NotificationPreference


def _wants_email(person: Any, kind: str) -> bool:
    pref = NotificationPreference.objects.filter(person=person, kind=kind).first()
    return pref.email if pref is not None else True


@transaction.atomic
def notification_send(
    *,
    recipient: Any,
    kind: NotificationKind | str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str | None = None,
    force_email: bool = False,
    calendar: str = "",
) -> Notification:
    """Record an in-app notification and queue its email (once, after commit) if wanted.

    ``dedupe_key`` makes the call idempotent per recipient; ``force_email`` is for mail that
    must go whatever the preference (invitations, password resets); ``calendar`` is an
    iCalendar text the email carries as an invitation attachment.
    """
    from cascade.core.tasks import notification_email_deliver

    email = bool(getattr(recipient, "email", "")) and (
        force_email or _wants_email(recipient, str(kind))
    )
    if dedupe_key is not None:
        existing = Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    notification = Notification(
        recipient=recipient,
        kind=str(kind),
        title=title[:200],
        body=body,
        url=url,
        dedupe_key=dedupe_key,
        calendar=calendar,
        email_status=Notification.EmailStatus.PENDING if email else Notification.EmailStatus.NONE,
    )
    notification.full_clean(exclude=["recipient"])
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        # A concurrent call with the same dedupe key won the race: that one stands.
        return Notification.objects.get(recipient=recipient, dedupe_key=dedupe_key)
    if email:
        transaction.on_commit(lambda: notification_email_deliver.enqueue(notification.pk))
    return notification


def notification_mark_read(*, recipient: Any, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of ``recipient`` read."""
    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, person: Any, email_by_kind: dict[str, bool]) -> None:
    """Save a person's email on/off choice for each kind of notification."""
    valid = set(NotificationKind.values)
    for kind, email in email_by_kind.items():
        if kind in valid:
            NotificationPreference.objects.update_or_create(
                person=person, kind=kind, defaults={"email": email}
            )


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append who did ``action`` to ``target``; IP and user agent come from the request context."""
    meta = current_request_meta()
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        actor=actor_obj,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        changes=changes or {},
        ip=(meta.ip or None) if meta else None,
        user_agent=meta.user_agent if meta else "",
    )
