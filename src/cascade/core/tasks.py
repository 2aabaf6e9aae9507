"""Background work of the shared machinery: delivering notification emails."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from cascade.core.models import Notification

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


@task()
def notification_email_deliver(notification_id: int) -> str:
    """Send one notification's email, exactly once even if the task runs twice.

    The row is claimed with a conditional update (pending -> sending) so a second run finds
    nothing to do; a failure puts it back to pending and re-enqueues with a growing delay.
    """
    claimed = Notification.objects.filter(
        pk=notification_id, email_status=Notification.EmailStatus.PENDING
    ).update(email_status=Notification.EmailStatus.SENDING)
    if not claimed:
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    body = notification.body
    if notification.url:
        link = notification.url
        if link.startswith("/"):
            link = settings.SITE_URL + link
        body = f"{body}\n\n{link}".strip()
    try:
        message = EmailMessage(
            subject=notification.title, body=body, to=[notification.recipient.email]
        )
        if notification.calendar:
            method = "CANCEL" if "METHOD:CANCEL" in notification.calendar else "REQUEST"
            message.attach("invite.ics", notification.calendar, f"text/calendar; method={method}")
        message.send()
    except Exception as exc:  # noqa: BLE001 - any transport failure is retried, then recorded
        attempts = notification.email_attempts + 1
        failed = attempts >= MAX_EMAIL_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            email_status=(
                Notification.EmailStatus.FAILED if failed else Notification.EmailStatus.PENDING
            ),
            email_attempts=attempts,
            email_error=str(exc)[:300],
        )
        log.warning("notification %s email failed (attempt %s): %s", notification_id, attempts, exc)
        if not failed:
            _retry_later(notification_id, attempts)
        return "failed"
    Notification.objects.filter(pk=notification_id).update(
        email_status=Notification.EmailStatus.SENT,
        email_attempts=notification.email_attempts + 1,
        email_sent_at=timezone.now(),
    )
    return "sent"


def _retry_later(notification_id: int, attempts: int) -> None:
    # A backend that cannot defer (the immediate one, in development and tests) would raise on
    # ``run_after``; there the row stays pending and the next run of the task picks it up.
    if not notification_email_deliver.get_backend().supports_defer:
        return
    notification_email_deliver.using(
        run_after=timezone.now() + timedelta(seconds=30 * 2**attempts)
    ).enqueue(notification_id)
