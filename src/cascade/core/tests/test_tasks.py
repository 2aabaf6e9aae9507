"""The notification email task: exactly once, retried on failure, failed for good at the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks import task_backends

from cascade.core.models import Notification, NotificationKind
from cascade.core.tasks import MAX_EMAIL_ATTEMPTS, notification_email_deliver


class ExplodingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp.example.org refused the connection")


EXPLODING = f"{__name__}.ExplodingEmailBackend"


@pytest.fixture
def pending(make_person):
    person = make_person("learner", email="robin@example.org")
    return Notification.objects.create(
        recipient=person,
        kind=NotificationKind.GENERAL,
        title="Cohort starts Monday",
        body="Bring your handbook.",
        url="/cohorts/7/",
        email_status=Notification.EmailStatus.PENDING,
    )


def test_deliver_sends_the_email_and_marks_it_sent(pending, settings):
    # given a pending notification with a relative link
    settings.SITE_URL = "https://cascade.example"
    # when the task runs
    with time_machine.travel(datetime(2025, 3, 4, 9, 0, tzinfo=UTC), tick=False):
        outcome = notification_email_deliver.call(pending.pk)
    # then one email goes out with the absolute link, and the row says so
    assert outcome == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["robin@example.org"]
    assert message.subject == "Cohort starts Monday"
    assert message.body == "Bring your handbook.\n\nhttps://cascade.example/cohorts/7/"
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.SENT
    assert pending.email_attempts == 1
    assert pending.email_sent_at == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert pending.email_error == ""


def test_deliver_keeps_an_absolute_link_as_it_is(pending):
    # given a notification whose link is already absolute
    Notification.objects.filter(pk=pending.pk).update(url="https://other.example/x")
    # when the task runs
    notification_email_deliver.call(pending.pk)
    # then the link is not prefixed
    assert mail.outbox[0].body == "Bring your handbook.\n\nhttps://other.example/x"


def test_deliver_run_twice_sends_exactly_once(pending):
    # given a pending notification
    # when the task runs twice (a retried job, two workers)
    first = notification_email_deliver.call(pending.pk)
    second = notification_email_deliver.call(pending.pk)
    # then exactly one email went out
    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.SENT
    assert pending.email_attempts == 1


@pytest.mark.parametrize(
    "status",
    [
        Notification.EmailStatus.NONE,
        Notification.EmailStatus.SENDING,
        Notification.EmailStatus.SENT,
        Notification.EmailStatus.FAILED,
    ],
)
def test_deliver_skips_rows_that_are_not_pending(pending, status):
    # given a notification that is not waiting for its email
    Notification.objects.filter(pk=pending.pk).update(email_status=status)
    # when the task runs
    outcome = notification_email_deliver.call(pending.pk)
    # then nothing is sent and nothing changes
    assert outcome == "skipped"
    assert mail.outbox == []
    pending.refresh_from_db()
    assert pending.email_status == status
    assert pending.email_attempts == 0


def test_deliver_skips_a_notification_that_no_longer_exists(db):
    assert notification_email_deliver.call(987654) == "skipped"
    assert mail.outbox == []


def test_failing_email_goes_back_to_pending_with_the_error(pending, settings):
    # given an email server that refuses connections
    settings.EMAIL_BACKEND = EXPLODING
    # when the task runs
    outcome = notification_email_deliver.call(pending.pk)
    # then the row is pending again, with one attempt and the error recorded
    assert outcome == "failed"
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.PENDING
    assert pending.email_attempts == 1
    assert pending.email_error == "smtp.example.org refused the connection"
    assert pending.email_sent_at is None


def test_failing_email_is_failed_for_good_after_max_attempts(pending, settings):
    # given an email server that stays down
    settings.EMAIL_BACKEND = EXPLODING
    # when the task runs MAX_EMAIL_ATTEMPTS times
    outcomes = [notification_email_deliver.call(pending.pk) for _ in range(MAX_EMAIL_ATTEMPTS)]
    # then the last attempt marks it failed, and later runs do nothing
    assert outcomes == ["failed"] * MAX_EMAIL_ATTEMPTS
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.FAILED
    assert pending.email_attempts == MAX_EMAIL_ATTEMPTS
    assert pending.email_error == "smtp.example.org refused the connection"
    assert notification_email_deliver.call(pending.pk) == "skipped"
    pending.refresh_from_db()
    assert pending.email_attempts == MAX_EMAIL_ATTEMPTS


def test_failing_email_recovers_on_a_later_attempt(pending, settings):
    # given one failed attempt
    settings.EMAIL_BACKEND = EXPLODING
    notification_email_deliver.call(pending.pk)
    # when the server is back and the task runs again
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outcome = notification_email_deliver.call(pending.pk)
    # then the email is sent and both attempts are counted
    assert outcome == "sent"
    assert len(mail.outbox) == 1
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.SENT
    assert pending.email_attempts == 2


def test_failing_email_is_retried_later_on_a_backend_that_can_defer(pending, settings):
    # given a task backend that can run tasks later (as the database backend in production)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = EXPLODING
    now = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    # when the first attempt fails
    with time_machine.travel(now, tick=False):
        notification_email_deliver.call(pending.pk)
    # then one retry is queued for 60 seconds later (30 s doubled per attempt)
    results = task_backends["default"].results
    assert len(results) == 1
    assert list(results[0].args) == [pending.pk]
    assert results[0].task.run_after == now + timedelta(seconds=60)
    assert results[0].task.func is notification_email_deliver.func


def test_last_failed_attempt_queues_no_retry(pending, settings):
    # given a notification one attempt away from the limit, on a backend that can defer
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = EXPLODING
    Notification.objects.filter(pk=pending.pk).update(email_attempts=MAX_EMAIL_ATTEMPTS - 1)
    # when the last attempt fails
    notification_email_deliver.call(pending.pk)
    # then it is failed and nothing more is queued
    pending.refresh_from_db()
    assert pending.email_status == Notification.EmailStatus.FAILED
    assert task_backends["default"].results == []
