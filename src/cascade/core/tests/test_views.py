"""Shell pages: notifications and the bell, email preferences, the audit log, error pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry, Notification, NotificationKind, NotificationPreference

ROLES = ["learner", "trainer", "master_trainer", "manager", "program_manager"]


def _notify(recipient, title="Cohort starts Monday", **kwargs):
    return Notification.objects.create(
        recipient=recipient, kind=NotificationKind.GENERAL, title=title, **kwargs
    )


def _audit(actor, action="people.person.updated", target_id="1", **kwargs):
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=kwargs.pop("target_type", "people.person"),
        target_id=target_id,
        target_repr=kwargs.pop("target_repr", "Robin Example"),
        **kwargs,
    )


@pytest.fixture
def robin(make_person):
    return make_person("learner", email="robin@example.org", display_name="Robin Example")


# --- Notifications and the bell -------------------------------------------------------------


def test_notifications_page_requires_sign_in(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/notifications/"


def test_notifications_page_lists_only_own_notifications(client, robin, make_person):
    # given a notification for robin and one for someone else
    _notify(robin, title="Yours to read", body="Some **body**", url="/me/")
    _notify(make_person("learner"), title="Somebody else's secret")
    client.force_login(robin)
    # when robin opens the notifications page
    response = client.get("/notifications/")
    # then only robin's notification is listed, linked
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/me/">Yours to read</a>' in html
    assert "Some **body**" in html
    assert "Somebody else&#x27;s secret" not in html
    assert "Somebody else's secret" not in html
    assert [n.title for n in response.context["page_obj"]] == ["Yours to read"]


def test_notifications_page_with_none_says_so(client, robin):
    client.force_login(robin)
    response = client.get("/notifications/")
    assert "No notifications yet." in response.content.decode()


def test_bell_shows_the_unread_count_on_every_page(client, robin):
    # given two unread notifications and one read one
    _notify(robin)
    _notify(robin)
    _notify(robin, read_at=datetime(2025, 1, 1, tzinfo=UTC))
    client.force_login(robin)
    # when robin opens any page
    for url in ["/", "/me/", "/notifications/"]:
        html = client.get(url).content.decode()
        # then the bell says 2 unread, for eyes and for screen readers
        assert 'aria-label="Notifications, 2 unread"' in html, url
        assert '<span class="bell__count" aria-hidden="true">2</span>' in html, url


def test_bell_without_unread_shows_no_count(client, robin):
    client.force_login(robin)
    html = client.get("/").content.decode()
    assert 'aria-label="Notifications, 0 unread"' in html
    assert "bell__count" not in html


def test_mark_one_read_from_the_page(client, robin):
    # given two unread notifications
    first, second = _notify(robin), _notify(robin)
    client.force_login(robin)
    # when robin marks the first read
    response = client.post("/notifications/read/", {"id": str(first.pk)})
    # then it is read, the other is not, and the page comes back
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    html = client.get("/notifications/").content.decode()
    assert 'aria-label="Notifications, 1 unread"' in html


def test_mark_all_read_from_the_page(client, robin, make_person):
    # given unread notifications for robin and for someone else
    _notify(robin)
    _notify(robin)
    theirs = _notify(make_person("learner"))
    client.force_login(robin)
    # when robin marks all read
    client.post("/notifications/read/")
    # then robin has none unread and the other person's is untouched
    assert Notification.objects.filter(recipient=robin, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_of_someone_elses_notification_changes_nothing(client, robin, make_person):
    # given another person's unread notification
    theirs = _notify(make_person("learner"))
    client.force_login(robin)
    # when robin posts its id
    response = client.post("/notifications/read/", {"id": str(theirs.pk)})
    # then it stays unread
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_with_htmx_asks_for_a_refresh(client, robin):
    notification = _notify(robin)
    client.force_login(robin)
    response = client.post(
        "/notifications/read/", {"id": str(notification.pk)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_rejects_get_and_changes_nothing(client, robin):
    # given an unread notification
    notification = _notify(robin)
    client.force_login(robin)
    # when the endpoint is fetched with GET
    response = client.get("/notifications/read/", {"id": str(notification.pk)})
    # then it is refused and nothing changed
    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_read_requires_sign_in(client, robin):
    notification = _notify(robin)
    response = client.post("/notifications/read/", {"id": str(notification.pk)})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_notification_times_are_shown_in_the_viewers_time_zone(client, make_person):
    # given a person in New York and a notification made at 15:30 UTC
    person = make_person("learner", time_zone="America/New_York")
    with time_machine.travel(datetime(2025, 1, 15, 15, 30, tzinfo=UTC), tick=False):
        _notify(person)
    client.force_login(person)
    # when they open their notifications
    html = client.get("/notifications/").content.decode()
    # then the time is 10:30 in the morning, their time
    assert "Jan. 15, 2025, 10:30 a.m." in html
    assert "3:30 p.m." not in html


def test_notification_times_for_a_utc_person_stay_utc(client, make_person):
    person = make_person("learner", time_zone="UTC")
    with time_machine.travel(datetime(2025, 1, 15, 15, 30, tzinfo=UTC), tick=False):
        _notify(person)
    client.force_login(person)
    html = client.get("/notifications/").content.decode()
    assert "Jan. 15, 2025, 3:30 p.m." in html


# --- Email preferences ----------------------------------------------------------------------


def test_preferences_page_shows_every_kind_on_by_default(client, robin):
    client.force_login(robin)
    response = client.get("/notifications/preferences/")
    assert response.status_code == 200
    form = response.context["form"]
    initial = {name: field.initial for name, field in form.fields.items()}
    assert initial == dict.fromkeys(NotificationKind.values, True)
    assert {"invitation", "role_changed", "account", "general"} <= set(form.fields)


def test_preferences_page_saves_choices(client, robin):
    # given a signed-in person
    client.force_login(robin)
    # when they keep only role changes and account emails
    response = client.post("/notifications/preferences/", {"role_changed": "on", "account": "on"})
    # then each kind's choice is saved
    assert response.status_code == 302
    assert response["Location"] == "/notifications/preferences/"
    prefs = dict(NotificationPreference.objects.filter(person=robin).values_list("kind", "email"))
    assert prefs == {
        **dict.fromkeys(NotificationKind.values, False),
        "role_changed": True,
        "account": True,
    }


def test_preferences_page_saves_all_off_even_with_an_empty_body(client, robin):
    # given a person (CSRF token in a header, so the body holds no field at all)
    client.force_login(robin)
    # when every box is unchecked
    response = client.post("/notifications/preferences/", {})
    # then "email me nothing" is saved
    assert response.status_code == 302
    prefs = dict(NotificationPreference.objects.filter(person=robin).values_list("kind", "email"))
    assert prefs == dict.fromkeys(NotificationKind.values, False)
    assert prefs["invitation"] is False


def test_preferences_page_get_changes_nothing(client, robin):
    client.force_login(robin)
    client.get("/notifications/preferences/", {"general": ""})
    assert NotificationPreference.objects.filter(person=robin).count() == 0


# --- Audit log ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in ROLES if r != "program_manager"])
def test_audit_log_is_refused_to_other_roles(client, make_person, role):
    # given a secret audit entry and a person without the program manager role
    _audit(None, target_repr="Secret target")
    person = make_person(role)
    client.force_login(person)
    # when they open the audit log
    response = client.get("/audit/")
    # then they are refused and see nothing of it
    assert response.status_code == 403
    assert "Secret target" not in response.content.decode()
    assert "Not allowed" in response.content.decode()


def test_audit_log_requires_sign_in(client, db):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/audit/"


def test_audit_log_shows_entries_to_a_program_manager(client, program_manager, robin):
    # given an audited change with its origin
    _audit(
        robin,
        action="people.person.roles_changed",
        target_id="42",
        target_repr="Sam Target",
        changes={"roles": [["learner"], ["trainer"]]},
        ip="198.51.100.7",
    )
    client.force_login(program_manager)
    # when the program manager opens the audit log
    response = client.get("/audit/")
    # then the entry is shown with who, what, on what, and from where
    assert response.status_code == 200
    html = response.content.decode()
    assert "Robin Example" in html
    assert "<code>people.person.roles_changed</code>" in html
    assert "Sam Target" in html
    assert "(people.person 42)" in html
    assert "<strong>roles</strong>: [[&#x27;learner&#x27;], [&#x27;trainer&#x27;]]" in html
    assert "198.51.100.7" in html


def test_audit_log_shows_system_for_entries_without_an_actor(client, program_manager):
    _audit(None, action="system.cleanup")
    client.force_login(program_manager)
    html = client.get("/audit/").content.decode()
    assert '<td data-label="Who">System</td>' in html


def test_audit_log_filters_by_action_prefix(client, program_manager):
    # given entries of different actions
    _audit(None, action="people.person.created", target_repr="Created one")
    _audit(None, action="people.token.revoked", target_repr="Revoked one")
    client.force_login(program_manager)
    # when filtered by an action prefix
    response = client.get("/audit/", {"action": "people.person"})
    # then only matching entries are listed
    assert [e.target_repr for e in response.context["page_obj"]] == ["Created one"]


def test_audit_log_filters_by_target_type(client, program_manager):
    _audit(None, target_type="people.person", target_repr="A person")
    _audit(None, target_type="people.orgunit", target_repr="A unit")
    client.force_login(program_manager)
    response = client.get("/audit/", {"target_type": "people.orgunit"})
    assert [e.target_repr for e in response.context["page_obj"]] == ["A unit"]


def test_audit_log_filters_by_dates_inclusive(client, program_manager):
    # given entries on three days
    for day, name in [(1, "before"), (2, "inside"), (3, "after")]:
        with time_machine.travel(datetime(2025, 5, day, 12, 0, tzinfo=UTC), tick=False):
            _audit(None, target_repr=name)
    client.force_login(program_manager)
    # when filtered to the middle day
    response = client.get("/audit/", {"since": "2025-05-02", "until": "2025-05-02"})
    # then only that day's entry is listed
    assert [e.target_repr for e in response.context["page_obj"]] == ["inside"]
    assert response.context["form"].cleaned_data["since"] == date(2025, 5, 2)


def test_audit_log_pagination_keeps_the_filters(client, program_manager):
    for i in range(51):
        _audit(None, action="people.person.created", target_id=str(i))
    client.force_login(program_manager)
    response = client.get("/audit/", {"action": "people.person"})
    html = response.content.decode()
    assert 'href="?action=people.person&amp;page=2"' in html
    assert "Page 1 of 2" in html


def test_audit_log_with_an_invalid_filter_shows_everything_and_the_error(client, program_manager):
    _audit(None, target_repr="Still listed")
    client.force_login(program_manager)
    response = client.get("/audit/", {"since": "not-a-date"})
    assert response.status_code == 200
    assert [e.target_repr for e in response.context["page_obj"]] == ["Still listed"]
    assert response.context["form"].errors == {"since": ["Enter a valid date."]}


def _audit_log_queries(client, viewer, make_person, n: int) -> int:
    AuditEntry.objects.all().delete()
    for i in range(n):
        _audit(make_person("learner"), target_id=str(i), changes={"job_title": ["", "Nurse"]})
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/audit/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_audit_log_query_count_does_not_grow_with_entries(
    client, program_manager, make_person, django_assert_max_num_queries
):
    # given a few entries, then many (each with its own actor)
    few = _audit_log_queries(client, program_manager, make_person, 5)
    many = _audit_log_queries(client, program_manager, make_person, 60)
    # then the page costs the same number of queries
    assert few == many
    with django_assert_max_num_queries(6):
        client.get("/audit/")


# --- Error pages ----------------------------------------------------------------------------


def test_unknown_page_answers_the_404_page(client, robin):
    client.force_login(robin)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_unknown_api_path_answers_problem_details(client, db):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert response.json()["status"] == 404
