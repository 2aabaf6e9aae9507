"""Notifications, email preferences and the audit log: the shared writes."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import RequestFactory

from cascade.core.middleware import RequestContextMiddleware
from cascade.core.models import AuditEntry, Notification, NotificationKind, NotificationPreference
from cascade.core.services import (
    audit_record,
    notification_mark_read,
    notification_preferences_set,
    notification_send,
)


@pytest.fixture
def robin(make_person):
    return make_person("learner", email="robin@example.org", display_name="Robin Example")


def _send(recipient, **kwargs):
    defaults = {"kind": NotificationKind.GENERAL, "title": "Cohort starts Monday"}
    return notification_send(recipient=recipient, **{**defaults, **kwargs})


# --- notification_send ----------------------------------------------------------------------


def test_send_records_the_notification_and_emails_after_commit(
    robin, settings, django_capture_on_commit_callbacks
):
    # given a person with default preferences
    settings.SITE_URL = "https://cascade.example"
    # when a notification is sent
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _send(robin, body="Bring your handbook.", url="/cohorts/7/")
        # then nothing is emailed before the transaction commits
        assert mail.outbox == []
    # and afterwards exactly one email went out
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin@example.org"]
    assert mail.outbox[0].subject == "Cohort starts Monday"
    assert mail.outbox[0].body == "Bring your handbook.\n\nhttps://cascade.example/cohorts/7/"
    notification.refresh_from_db()
    assert notification.recipient == robin
    assert notification.kind == "general"
    assert notification.read_at is None
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_attempts == 1


def test_send_cuts_long_titles_to_the_column_size(robin):
    notification = _send(robin, title="x" * 250)
    assert notification.title == "x" * 200


def test_send_with_dedupe_key_is_idempotent(robin, django_capture_on_commit_callbacks):
    # given a notification sent with a dedupe key
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(robin, dedupe_key="reminder:session:12:person:7")
    # when the same call is made again
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _send(robin, title="A different title", dedupe_key="reminder:session:12:person:7")
    # then the first one stands: one row, one email, nothing queued the second time
    assert second.pk == first.pk
    assert second.title == "Cohort starts Monday"
    assert Notification.objects.filter(recipient=robin).count() == 1
    assert callbacks == []
    assert len(mail.outbox) == 1


def test_same_dedupe_key_for_two_recipients_makes_two_notifications(robin, make_person):
    other = make_person("learner")
    a = _send(robin, dedupe_key="k")
    b = _send(other, dedupe_key="k")
    assert a.pk != b.pk
    assert Notification.objects.filter(dedupe_key="k").count() == 2


def test_send_without_dedupe_key_makes_a_new_notification_each_time(robin):
    _send(robin)
    _send(robin)
    assert Notification.objects.filter(recipient=robin).count() == 2


def test_email_preference_off_records_in_app_only(robin, django_capture_on_commit_callbacks):
    # given a person who turned email off for general announcements
    NotificationPreference.objects.create(person=robin, kind=NotificationKind.GENERAL, email=False)
    # when a general notification is sent
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _send(robin)
    # then it is under the bell but not emailed
    assert callbacks == []
    assert mail.outbox == []
    assert notification.email_status == Notification.EmailStatus.NONE


def test_email_preference_is_per_kind(robin, django_capture_on_commit_callbacks):
    # given email off for general announcements only
    NotificationPreference.objects.create(person=robin, kind=NotificationKind.GENERAL, email=False)
    # when a role change is notified
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(robin, kind=NotificationKind.ROLE_CHANGED)
    # then it is emailed
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


def test_force_email_overrides_the_preference(robin, django_capture_on_commit_callbacks):
    # given a person who turned account emails off
    NotificationPreference.objects.create(person=robin, kind=NotificationKind.ACCOUNT, email=False)
    # when an account email that must go is sent
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(robin, kind=NotificationKind.ACCOUNT, force_email=True)
    # then it is emailed anyway
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


def _send_then_fail(recipient):
    with transaction.atomic():
        _send(recipient)
        raise RuntimeError("the caller's write failed")


def test_send_rolled_back_sends_no_email(robin, django_capture_on_commit_callbacks):
    # given a notification sent inside a transaction that then fails
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        _send_then_fail(robin)
    # then neither the row nor the email exist
    assert callbacks == []
    assert Notification.objects.filter(recipient=robin).count() == 0
    assert mail.outbox == []


# --- notification_mark_read -----------------------------------------------------------------


def test_mark_one_read_touches_only_that_notification(robin):
    # given two unread notifications
    first, second = _send(robin), _send(robin)
    # when one is marked read
    changed = notification_mark_read(recipient=robin, notification_id=first.pk)
    # then only that one is read
    assert changed == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_mark_all_read_touches_only_own_notifications(robin, make_person):
    # given notifications for two people
    other = make_person("learner")
    mine = [_send(robin), _send(robin)]
    theirs = _send(other)
    # when robin marks all read
    changed = notification_mark_read(recipient=robin)
    # then robin's are read and the other person's is not
    assert changed == 2
    unread = Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True)
    assert unread.count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_of_someone_elses_notification_changes_nothing(robin, make_person):
    # given another person's notification
    theirs = _send(make_person("learner"))
    # when robin tries to mark it read by id
    changed = notification_mark_read(recipient=robin, notification_id=theirs.pk)
    # then nothing changed
    assert changed == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_twice_keeps_the_first_read_time(robin):
    notification = _send(robin)
    notification_mark_read(recipient=robin, notification_id=notification.pk)
    notification.refresh_from_db()
    first_read = notification.read_at
    assert notification_mark_read(recipient=robin, notification_id=notification.pk) == 0
    notification.refresh_from_db()
    assert notification.read_at == first_read


# --- notification_preferences_set -----------------------------------------------------------


def test_preferences_set_saves_and_updates_choices(robin):
    # given a saved choice
    notification_preferences_set(person=robin, email_by_kind={"general": False, "account": True})
    # when it is changed
    notification_preferences_set(person=robin, email_by_kind={"general": True})
    # then one row per kind holds the latest choice
    prefs = dict(NotificationPreference.objects.filter(person=robin).values_list("kind", "email"))
    assert prefs == {"general": True, "account": True}


def test_preferences_set_ignores_unknown_kinds(robin):
    notification_preferences_set(person=robin, email_by_kind={"no-such-kind": False})
    assert NotificationPreference.objects.filter(person=robin).count() == 0


# --- audit_record ---------------------------------------------------------------------------


def test_audit_record_outside_a_request_has_no_ip(robin, make_person):
    # given an actor and a target, and no request (a command or a task)
    actor = make_person("program_manager")
    # when a change is recorded
    entry = audit_record(
        actor=actor,
        action="people.person.updated",
        target=robin,
        changes={"job_title": ["", "Nurse"]},
    )
    # then everything but the origin is recorded
    entry.refresh_from_db()
    assert entry.actor == actor
    assert entry.action == "people.person.updated"
    assert entry.target_type == "people.person"
    assert entry.target_id == str(robin.pk)
    assert entry.target_repr == "Robin Example"
    assert entry.changes == {"job_title": ["", "Nurse"]}
    assert entry.ip is None
    assert entry.user_agent == ""


def test_audit_record_inside_a_request_records_ip_and_user_agent(robin):
    # given a request passing through the request-context middleware
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140")
    entries = []

    def view(_request):
        entries.append(audit_record(actor=None, action="system.thing", target=robin))
        from django.http import HttpResponse

        return HttpResponse()

    # when the view records a change
    RequestContextMiddleware(view)(request)
    # then the origin is on the entry, and a missing actor is "system"
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    assert entry.ip == "203.0.113.9"
    assert entry.user_agent == "Firefox/140"
    assert entry.actor is None
    assert entry.changes == {}


def test_audit_record_with_an_unsaved_actor_stores_no_actor(robin):
    unsaved = type(robin)(email="x@example.org")
    entry = audit_record(actor=unsaved, action="a", target=robin)
    assert entry.actor is None
