"""Every write of the people area: people, roles, invitations, tokens and org units."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry, Notification, NotificationKind, NotificationPreference
from cascade.people import services
from cascade.people.models import AccessToken, OrgUnit, Person, RoleAssignment
from cascade.people.tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    RoleAssignmentFactory,
)


def _roles(person: Person) -> list[tuple[str, int | None]]:
    return sorted(
        RoleAssignment.objects.filter(person=person).values_list("role", "org_unit_id"),
        key=lambda r: (r[0], r[1] or 0),
    )


def _scoped_pm(unit: OrgUnit, **kwargs) -> Person:
    person = PersonFactory(**kwargs)
    RoleAssignmentFactory(person=person, role="program_manager", org_unit=unit)
    return person


@pytest.fixture
def pm(program_manager):
    return program_manager


# --- person_create --------------------------------------------------------------------------


def test_person_create_stores_the_person_roles_and_an_audit_entry(pm):
    # given a unit and a manager
    unit = OrgUnitFactory(name="North")
    boss = PersonFactory(email="boss@example.org")
    # when a program manager adds a person
    person = services.person_create(
        email="  Robin.Example@Example.ORG ",
        display_name="  Robin Example ",
        actor=pm,
        org_unit=unit,
        manager=boss,
        roles=["trainer", "learner", "trainer"],
        job_title="Nurse",
        time_zone="Europe/Paris",
        languages=["en", "fr"],
    )
    # then the person is stored, lower-cased and trimmed, without a usable password
    person.refresh_from_db()
    assert person.email == "robin.example@example.org"
    assert person.display_name == "Robin Example"
    assert person.org_unit == unit
    assert person.manager == boss
    assert person.job_title == "Nurse"
    assert person.time_zone == "Europe/Paris"
    assert person.languages == ["en", "fr"]
    assert person.is_active is True
    assert person.has_usable_password() is False
    assert _roles(person) == [("learner", None), ("trainer", None)]
    # and the creation is audited
    entry = AuditEntry.objects.get(action="people.person.created")
    assert entry.actor == pm
    assert entry.target_id == str(person.pk)
    assert entry.changes == {"email": "robin.example@example.org", "roles": ["learner", "trainer"]}


def test_person_create_defaults_to_the_learner_role_and_no_audit_without_actor(db):
    person = services.person_create(email="a@example.org", display_name="A")
    assert _roles(person) == [("learner", None)]
    assert AuditEntry.objects.count() == 0


def test_person_create_with_a_password_can_sign_in(db):
    person = services.person_create(
        email="a@example.org", display_name="A", password="a-long-pass-phrase"
    )
    assert person.check_password("a-long-pass-phrase") is True


@pytest.mark.parametrize("email", ["robin@example.org", "ROBIN@EXAMPLE.ORG", " Robin@Example.org "])
def test_person_create_refuses_a_taken_email_whatever_its_case(pm, email):
    # given someone with this email already
    PersonFactory(email="robin@example.org")
    people, roles, audit = Person.objects.count(), RoleAssignment.objects.count(), 0
    # when another person is added with the same email in another case
    with pytest.raises(ApplicationError) as excinfo:
        services.person_create(email=email, display_name="Twin", actor=pm, roles=["trainer"])
    # then it is refused with a stable code, and nothing is written
    assert excinfo.value.code == "email_taken"
    assert excinfo.value.status == 409
    assert Person.objects.count() == people
    assert RoleAssignment.objects.count() == roles
    assert AuditEntry.objects.count() == audit
    assert not Person.objects.filter(display_name="Twin").exists()


def test_person_create_refuses_an_unknown_role_and_writes_nothing(pm):
    people = Person.objects.count()
    with pytest.raises(ApplicationError) as excinfo:
        services.person_create(
            email="new@example.org", display_name="New", actor=pm, roles=["learner", "admin"]
        )
    assert excinfo.value.code == "unknown_role"
    assert excinfo.value.message == "Unknown role: admin"
    assert Person.objects.count() == people
    assert AuditEntry.objects.count() == 0


def test_person_create_refuses_an_unknown_profile_field(db):
    with pytest.raises(TypeError):
        services.person_create(email="a@example.org", display_name="A", is_superuser=True)
    assert not Person.objects.filter(email="a@example.org").exists()


def test_person_create_refuses_an_unknown_time_zone(db):
    with pytest.raises(ValidationError) as excinfo:
        services.person_create(email="a@example.org", display_name="A", time_zone="Mars/Base")
    assert list(excinfo.value.message_dict) == ["time_zone"]
    assert not Person.objects.filter(email="a@example.org").exists()


def test_person_create_scopes_a_new_program_manager(pm):
    unit = OrgUnitFactory()
    person = services.person_create(
        email="new@example.org",
        display_name="New",
        actor=pm,
        roles=["program_manager", "trainer"],
        scope=unit,
    )
    assert _roles(person) == [("program_manager", unit.pk), ("trainer", None)]


def test_scoped_pm_cannot_create_an_organisation_wide_program_manager(db):
    # given a program manager of one unit
    unit = OrgUnitFactory()
    scoped = _scoped_pm(unit)
    # when they add a program manager for the whole organisation
    with pytest.raises(ApplicationError) as excinfo:
        services.person_create(
            email="new@example.org",
            display_name="New",
            actor=scoped,
            org_unit=unit,
            roles=["program_manager"],
        )
    # then it is refused and nobody is added
    assert excinfo.value.code == "scope_forbidden"
    assert not Person.objects.filter(email="new@example.org").exists()


def test_scoped_pm_can_create_a_program_manager_inside_their_unit(db):
    unit = OrgUnitFactory()
    sub = OrgUnitFactory(parent=unit)
    scoped = _scoped_pm(unit)
    person = services.person_create(
        email="new@example.org",
        display_name="New",
        actor=scoped,
        org_unit=sub,
        roles=["program_manager"],
        scope=sub,
    )
    assert _roles(person) == [("program_manager", sub.pk)]


# --- person_update --------------------------------------------------------------------------


def test_person_update_saves_profile_changes_and_audits_them(pm):
    # given a person
    person = PersonFactory(display_name="Robin", job_title="", time_zone="UTC")
    # when a program manager changes their profile
    services.person_update(
        person=person, actor=pm, display_name="Robin E.", job_title="Nurse", time_zone="UTC"
    )
    # then the changes are saved and audited as [before, after]
    person.refresh_from_db()
    assert person.display_name == "Robin E."
    assert person.job_title == "Nurse"
    entry = AuditEntry.objects.get(action="people.person.updated")
    assert entry.actor == pm
    assert entry.target_id == str(person.pk)
    assert entry.changes == {"display_name": ["Robin", "Robin E."], "job_title": ["", "Nurse"]}


def test_person_update_without_changes_writes_no_audit_entry(pm):
    person = PersonFactory(display_name="Robin")
    services.person_update(person=person, actor=pm, display_name="Robin")
    assert AuditEntry.objects.count() == 0


def test_person_update_moves_unit_and_manager_with_audit(pm):
    old_unit, new_unit = OrgUnitFactory(), OrgUnitFactory()
    boss = PersonFactory()
    person = PersonFactory(org_unit=old_unit)
    services.person_update(person=person, actor=pm, org_unit=new_unit, manager=boss)
    person.refresh_from_db()
    assert person.org_unit == new_unit
    assert person.manager == boss
    assert AuditEntry.objects.get().changes == {
        "org_unit": [old_unit.pk, new_unit.pk],
        "manager": [None, boss.pk],
    }


def test_person_update_refuses_a_two_person_manager_loop(pm):
    # given A reports to B
    b = PersonFactory(display_name="Bea")
    a = PersonFactory(display_name="Al", manager=b)
    # when B is made to report to A
    with pytest.raises(ApplicationError) as excinfo:
        services.person_update(person=b, actor=pm, manager=a)
    # then it is refused and nothing changed
    assert excinfo.value.code == "manager_cycle"
    assert excinfo.value.message == "Al reports to Bea already; that would make a loop."
    b.refresh_from_db()
    assert b.manager is None
    assert AuditEntry.objects.count() == 0


def test_person_update_refuses_a_longer_manager_loop(pm):
    # given A -> B -> C (A reports to B, B to C)
    c = PersonFactory()
    b = PersonFactory(manager=c)
    a = PersonFactory(manager=b)
    # when C is made to report to A
    with pytest.raises(ApplicationError) as excinfo:
        services.person_update(person=c, actor=pm, manager=a)
    # then it is refused
    assert excinfo.value.code == "manager_cycle"
    c.refresh_from_db()
    assert c.manager is None


def test_person_update_refuses_being_ones_own_manager(pm):
    person = PersonFactory()
    with pytest.raises(ApplicationError) as excinfo:
        services.person_update(person=person, actor=pm, manager=person)
    assert excinfo.value.code == "manager_cycle"
    person.refresh_from_db()
    assert person.manager is None


def test_person_update_allows_a_manager_chain_without_loop(pm):
    c = PersonFactory()
    b = PersonFactory(manager=c)
    a = PersonFactory()
    services.person_update(person=a, actor=pm, manager=b)
    a.refresh_from_db()
    assert a.manager == b


def test_person_update_clears_the_manager(pm):
    boss = PersonFactory()
    person = PersonFactory(manager=boss)
    services.person_update(person=person, actor=pm, manager=None)
    person.refresh_from_db()
    assert person.manager is None


def test_person_update_refuses_fields_outside_the_profile(pm):
    person = PersonFactory()
    with pytest.raises(TypeError):
        services.person_update(person=person, actor=pm, is_staff=True)
    person.refresh_from_db()
    assert person.is_staff is False


# --- person_roles_set -----------------------------------------------------------------------


def test_person_roles_set_replaces_roles_audits_and_notifies(
    pm, django_capture_on_commit_callbacks
):
    # given a learner
    person = PersonFactory(roles=["learner"], email="robin@example.org")
    # when a program manager makes them a trainer and master trainer
    with django_capture_on_commit_callbacks(execute=True):
        after = services.person_roles_set(
            person=person, roles=["trainer", "master_trainer"], actor=pm
        )
    # then the roles are replaced
    assert after == ["master_trainer", "trainer"]
    assert _roles(person) == [("master_trainer", None), ("trainer", None)]
    assert person.roles == frozenset({"master_trainer", "trainer"})
    # and the change is audited
    entry = AuditEntry.objects.get(action="people.person.roles_changed")
    assert entry.actor == pm
    assert entry.changes == {"roles": [["learner"], ["master_trainer", "trainer"]]}
    # and the person is told, under the bell and by email
    notification = Notification.objects.get(recipient=person)
    assert notification.kind == NotificationKind.ROLE_CHANGED
    assert notification.title == "Your roles in Cascade changed"
    assert notification.body == "Your roles are now: Master trainer, Trainer."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin@example.org"]
    assert mail.outbox[0].subject == "Your roles in Cascade changed"


def test_person_roles_set_without_change_writes_nothing(pm):
    person = PersonFactory(roles=["trainer"])
    assert services.person_roles_set(person=person, roles=["trainer"], actor=pm) == ["trainer"]
    assert AuditEntry.objects.count() == 0
    assert Notification.objects.count() == 0


def test_person_roles_set_can_skip_the_notification(pm):
    person = PersonFactory(roles=["learner"])
    services.person_roles_set(person=person, roles=["trainer"], actor=pm, notify=False)
    assert Notification.objects.count() == 0
    assert AuditEntry.objects.filter(action="people.person.roles_changed").count() == 1


def test_person_roles_set_to_none_says_none(pm):
    person = PersonFactory(roles=["learner"])
    services.person_roles_set(person=person, roles=[], actor=pm)
    assert _roles(person) == []
    assert Notification.objects.get().body == "Your roles are now: none."


def test_person_roles_set_refuses_an_unknown_role_and_changes_nothing(pm):
    # given a learner
    person = PersonFactory(roles=["learner"])
    # when an unknown role is asked for
    with pytest.raises(ApplicationError) as excinfo:
        services.person_roles_set(person=person, roles=["trainer", "superhero"], actor=pm)
    # then it is refused and nothing changed
    assert excinfo.value.code == "unknown_role"
    assert excinfo.value.message == "Unknown role: superhero"
    assert _roles(person) == [("learner", None)]
    assert AuditEntry.objects.count() == 0
    assert Notification.objects.count() == 0


def test_program_manager_cannot_remove_their_own_program_manager_role(pm):
    # given a program manager
    # when they drop their own program manager role
    with pytest.raises(ApplicationError) as excinfo:
        services.person_roles_set(person=pm, roles=["trainer"], actor=pm)
    # then it is refused and their roles are unchanged
    assert excinfo.value.code == "self_demotion"
    assert _roles(pm) == [("program_manager", None)]
    assert AuditEntry.objects.count() == 0


def test_program_manager_can_add_roles_to_themselves(pm):
    services.person_roles_set(person=pm, roles=["program_manager", "trainer"], actor=pm)
    assert _roles(pm) == [("program_manager", None), ("trainer", None)]


def test_superuser_may_remove_their_own_program_manager_role(make_person):
    admin = make_person("program_manager", is_superuser=True)
    services.person_roles_set(person=admin, roles=[], actor=admin)
    assert _roles(admin) == []


def test_another_program_manager_can_remove_the_program_manager_role(pm):
    other = PersonFactory(roles=["program_manager"])
    services.person_roles_set(person=other, roles=["learner"], actor=pm)
    assert _roles(other) == [("learner", None)]


def test_person_roles_set_scopes_the_program_manager_role(pm):
    unit = OrgUnitFactory()
    person = PersonFactory(roles=["learner"])
    services.person_roles_set(person=person, roles=["program_manager"], actor=pm, scope=unit)
    assert _roles(person) == [("program_manager", unit.pk)]


def test_person_roles_set_changes_only_the_program_manager_scope(pm):
    # given a program manager of one unit
    north, south = OrgUnitFactory(), OrgUnitFactory()
    person = _scoped_pm(north)
    # when their scope is moved to another unit, roles unchanged
    services.person_roles_set(person=person, roles=["program_manager"], actor=pm, scope=south)
    # then the scope changed, and the change is audited
    assert _roles(person) == [("program_manager", south.pk)]
    entry = AuditEntry.objects.get(action="people.person.roles_changed")
    assert entry.changes == {
        "roles": [["program_manager"], ["program_manager"]],
        "program_manager_scope": [[north.pk], [south.pk]],
    }


def test_person_roles_set_widens_a_scoped_program_manager_to_the_organisation(pm):
    north = OrgUnitFactory()
    person = _scoped_pm(north)
    services.person_roles_set(person=person, roles=["program_manager"], actor=pm, scope=None)
    assert _roles(person) == [("program_manager", None)]


def test_scoped_pm_cannot_grant_organisation_wide_program_management(db):
    # given a program manager of one unit and a learner in it
    unit = OrgUnitFactory()
    scoped = _scoped_pm(unit)
    person = PersonFactory(roles=["learner"], org_unit=unit)
    # when they grant program management of the whole organisation
    with pytest.raises(ApplicationError) as excinfo:
        services.person_roles_set(person=person, roles=["program_manager"], actor=scoped)
    # then it is refused and nothing changed
    assert excinfo.value.code == "scope_forbidden"
    assert _roles(person) == [("learner", None)]


def test_scoped_pm_cannot_grant_program_management_of_another_unit(db):
    unit, other = OrgUnitFactory(), OrgUnitFactory()
    scoped = _scoped_pm(unit)
    person = PersonFactory(roles=["learner"], org_unit=unit)
    with pytest.raises(ApplicationError) as excinfo:
        services.person_roles_set(
            person=person, roles=["program_manager"], actor=scoped, scope=other
        )
    assert excinfo.value.code == "scope_forbidden"
    assert _roles(person) == [("learner", None)]


# --- person_deactivate / person_reactivate --------------------------------------------------


def test_person_deactivate_blocks_sign_in_revokes_tokens_and_keeps_the_record(pm):
    # given a person with a live token and an already revoked one
    person = PersonFactory(roles=["trainer"])
    _live, live_key = services.token_create(person=person, name="HR sync")
    old, _old_key = services.token_create(person=person, name="Old")
    long_ago = datetime(2024, 1, 1, tzinfo=UTC)
    AccessToken.objects.filter(pk=old.pk).update(revoked_at=long_ago)
    # when a program manager deactivates them
    with time_machine.travel(datetime(2025, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        services.person_deactivate(person=person, actor=pm)
    # then they are inactive (never deleted), their tokens no longer work
    person.refresh_from_db()
    assert person.is_active is False
    assert person.deactivated_at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert Person.objects.filter(pk=person.pk).exists()
    assert _roles(person) == [("trainer", None)]
    revoked = dict(AccessToken.objects.filter(person=person).values_list("name", "revoked_at"))
    assert revoked == {"HR sync": datetime(2025, 6, 1, 8, 0, tzinfo=UTC), "Old": long_ago}
    assert services.token_authenticate(live_key) is None
    # and it is audited
    entry = AuditEntry.objects.get(action="people.person.deactivated")
    assert entry.actor == pm
    assert entry.target_id == str(person.pk)


def test_person_cannot_deactivate_themselves(pm):
    with pytest.raises(ApplicationError) as excinfo:
        services.person_deactivate(person=pm, actor=pm)
    assert excinfo.value.code == "self_deactivation"
    pm.refresh_from_db()
    assert pm.is_active is True
    assert AuditEntry.objects.count() == 0


def test_person_deactivate_twice_is_harmless(pm):
    person = PersonFactory()
    services.person_deactivate(person=person, actor=pm)
    services.person_deactivate(person=person, actor=pm)
    assert AuditEntry.objects.filter(action="people.person.deactivated").count() == 1


def test_person_reactivate_lets_them_back(pm):
    person = PersonFactory(is_active=False, deactivated_at=datetime(2025, 1, 1, tzinfo=UTC))
    services.person_reactivate(person=person, actor=pm)
    person.refresh_from_db()
    assert person.is_active is True
    assert person.deactivated_at is None
    assert AuditEntry.objects.get().action == "people.person.reactivated"


# --- person_invite --------------------------------------------------------------------------


def test_person_invite_emails_one_link_built_from_site_url(
    pm, settings, django_capture_on_commit_callbacks
):
    # given a new person who has never signed in, and a site address
    settings.SITE_URL = "https://cascade.example"
    person = services.person_create(email="robin@example.org", display_name="Robin", actor=pm)
    # when they are invited
    with (
        time_machine.travel(datetime(2025, 6, 1, 8, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.person_invite(person=person, actor=pm)
    # then exactly one email goes to them with a one-time link on the site's address
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["robin@example.org"]
    assert message.subject == "You are invited to Cascade"
    assert message.body.startswith("Pat Manager invited you to Cascade")
    link = message.body.splitlines()[-1]
    assert link.startswith("https://cascade.example/account/set-password/")
    assert link.endswith("/")
    person.refresh_from_db()
    assert person.invited_at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert AuditEntry.objects.filter(action="people.person.invited", actor=pm).count() == 1


def test_person_invite_is_emailed_even_with_invitation_emails_turned_off(
    pm, django_capture_on_commit_callbacks
):
    person = PersonFactory(password=None, last_login=None)
    NotificationPreference.objects.create(person=person, kind="invitation", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.person_invite(person=person, actor=pm)
    assert len(mail.outbox) == 1


def test_person_invite_refuses_a_deactivated_person(pm, django_capture_on_commit_callbacks):
    person = PersonFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as exc:
        services.person_invite(person=person, actor=pm)
    assert exc.value.code == "inactive"
    assert mail.outbox == []
    person.refresh_from_db()
    assert person.invited_at is None


def test_person_invite_refuses_someone_who_already_signed_in(
    pm, django_capture_on_commit_callbacks
):
    person = PersonFactory(last_login=datetime(2025, 1, 1, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as exc:
        services.person_invite(person=person, actor=pm)
    assert exc.value.code == "already_active"
    assert mail.outbox == []


def test_set_password_link_stops_working_once_the_password_is_set(db, settings):
    from django.contrib.auth.tokens import default_token_generator

    settings.SITE_URL = "https://cascade.example"
    person = PersonFactory()
    link = services.person_set_password_link(person)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert default_token_generator.check_token(person, token) is True
    person.set_password("a-new-pass-phrase")
    person.save()
    assert default_token_generator.check_token(person, token) is False


# --- Password reset -------------------------------------------------------------------------


def test_password_reset_request_for_an_unknown_email_sends_nothing(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email="nobody@example.org")
    assert mail.outbox == []
    assert Notification.objects.count() == 0


def test_password_reset_request_for_a_deactivated_person_sends_nothing(
    db, django_capture_on_commit_callbacks
):
    PersonFactory(email="gone@example.org", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email="gone@example.org")
    assert mail.outbox == []


def test_password_reset_request_matches_the_email_whatever_its_case(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://cascade.example"
    PersonFactory(email="robin@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=" ROBIN@example.org ")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin@example.org"]
    assert mail.outbox[0].subject == "Choose a new Cascade password"
    assert (
        mail.outbox[0]
        .body.splitlines()[-1]
        .startswith("https://cascade.example/account/set-password/")
    )


# --- Tokens ---------------------------------------------------------------------------------


def test_token_create_returns_the_key_once_and_stores_only_its_hash(db):
    # given a person
    person = PersonFactory()
    # when they create a token
    token, key = services.token_create(person=person, name="  HR sync ", scope="write")
    # then the key is returned, and only its hash and a short prefix are stored
    assert key.startswith("csc_")
    assert len(key) > 40
    token.refresh_from_db()
    assert token.name == "HR sync"
    assert token.scope == "write"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:10]
    stored = AccessToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(v) for v in stored.values()]
    entry = AuditEntry.objects.get(action="people.token.created")
    assert entry.actor == person
    assert entry.changes == {"scope": "write"}


def test_token_create_names_an_unnamed_token(db):
    token, _key = services.token_create(person=PersonFactory(), name="  ")
    assert token.name == "API token"


def test_token_create_refuses_an_unknown_scope(db):
    person = PersonFactory()
    with pytest.raises(ApplicationError) as excinfo:
        services.token_create(person=person, name="x", scope="admin")
    assert excinfo.value.code == "invalid_scope"
    assert AccessToken.objects.count() == 0


def test_token_authenticate_finds_the_token_and_records_use(db):
    person = PersonFactory()
    token, key = services.token_create(person=person, name="x")
    with time_machine.travel(datetime(2025, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        found = services.token_authenticate(key)
    assert found is not None
    assert found.pk == token.pk
    assert found.person == person
    token.refresh_from_db()
    assert token.last_used_at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def test_token_authenticate_records_use_at_most_once_a_minute(db):
    token, key = services.token_create(person=PersonFactory(), name="x")
    start = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        services.token_authenticate(key)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        services.token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        services.token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_token_revoke_stops_the_token_and_is_harmless_twice(db):
    person = PersonFactory()
    token, key = services.token_create(person=person, name="x")
    services.token_revoke(token=token, actor=person)
    services.token_revoke(token=token, actor=person)
    assert services.token_authenticate(key) is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="people.token.revoked").count() == 1


def test_token_authenticate_refuses_an_expired_token(db):
    _token, key = services.token_create(
        person=PersonFactory(), name="x", expires_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2025, 5, 31, 23, 59, tzinfo=UTC), tick=False):
        assert services.token_authenticate(key) is not None
    with time_machine.travel(datetime(2025, 6, 1, 0, 0, 1, tzinfo=UTC), tick=False):
        assert services.token_authenticate(key) is None


def test_token_authenticate_refuses_a_deactivated_persons_token(db):
    person = PersonFactory()
    _token, key = services.token_create(person=person, name="x")
    Person.objects.filter(pk=person.pk).update(is_active=False)
    assert services.token_authenticate(key) is None


@pytest.mark.parametrize(
    "key",
    ["", "csc_", "csc_not-a-real-key", "nope_abc", "csc_" + "x" * 100],
    ids=["empty", "prefix-only", "unknown", "wrong-prefix", "too-long"],
)
def test_token_authenticate_refuses_wrong_keys(db, key):
    services.token_create(person=PersonFactory(), name="x")
    assert services.token_authenticate(key) is None


def test_token_authenticate_refuses_a_key_missing_one_character(db):
    _token, key = services.token_create(person=PersonFactory(), name="x")
    assert services.token_authenticate(key[:-1]) is None


# --- Org units ------------------------------------------------------------------------------


def test_org_unit_create_computes_paths_and_depths(pm):
    # when a tree of three levels is created
    root = services.org_unit_create(name=" North ", code="north", actor=pm)
    ward = services.org_unit_create(name="Ward 3", code="ward-3", parent=root, actor=pm)
    bed = services.org_unit_create(name="Bay A", code="bay-a", parent=ward)
    # then each unit's path lists its ancestors
    assert (root.name, root.path, root.depth) == ("North", f"/{root.pk}/", 0)
    assert (ward.path, ward.depth) == (f"/{root.pk}/{ward.pk}/", 1)
    assert (bed.path, bed.depth) == (f"/{root.pk}/{ward.pk}/{bed.pk}/", 2)
    bed.refresh_from_db()
    assert bed.path == f"/{root.pk}/{ward.pk}/{bed.pk}/"
    # and creations with an actor are audited
    entries = AuditEntry.objects.filter(action="people.org_unit.created").order_by("id")
    assert [e.changes for e in entries] == [
        {"name": "North", "parent": None},
        {"name": "Ward 3", "parent": root.pk},
    ]


def test_org_unit_create_refuses_a_taken_code(pm):
    services.org_unit_create(name="North", code="north")
    with pytest.raises(ValidationError):
        services.org_unit_create(name="North again", code="north")
    assert OrgUnit.objects.filter(code="north").count() == 1


def test_org_unit_update_renames_with_audit(pm):
    unit = services.org_unit_create(name="North", code="north")
    services.org_unit_update(unit=unit, actor=pm, name="North region")
    unit.refresh_from_db()
    assert unit.name == "North region"
    assert AuditEntry.objects.get(action="people.org_unit.updated").changes == {
        "name": ["North", "North region"]
    }


def test_org_unit_update_moving_a_subtree_rewrites_descendant_paths(pm):
    # given North > Ward > Bay, and South
    north = services.org_unit_create(name="North", code="north")
    ward = services.org_unit_create(name="Ward", code="ward", parent=north)
    bay = services.org_unit_create(name="Bay", code="bay", parent=ward)
    sibling = services.org_unit_create(name="Other ward", code="other", parent=north)
    south = services.org_unit_create(name="South", code="south")
    # when Ward moves under South
    services.org_unit_update(unit=ward, actor=pm, parent=south)
    # then Ward and everything below it have new paths and depths
    ward.refresh_from_db()
    bay.refresh_from_db()
    sibling.refresh_from_db()
    assert ward.parent == south
    assert (ward.path, ward.depth) == (f"/{south.pk}/{ward.pk}/", 1)
    assert (bay.path, bay.depth) == (f"/{south.pk}/{ward.pk}/{bay.pk}/", 2)
    # and the rest of the tree is untouched
    assert sibling.path == f"/{north.pk}/{sibling.pk}/"
    assert AuditEntry.objects.get(action="people.org_unit.updated").changes == {
        "parent": [north.pk, south.pk]
    }


def test_org_unit_update_moves_a_subtree_to_the_top(pm):
    north = services.org_unit_create(name="North", code="north")
    ward = services.org_unit_create(name="Ward", code="ward", parent=north)
    bay = services.org_unit_create(name="Bay", code="bay", parent=ward)
    services.org_unit_update(unit=ward, actor=pm, parent=None)
    ward.refresh_from_db()
    bay.refresh_from_db()
    assert (ward.parent, ward.path, ward.depth) == (None, f"/{ward.pk}/", 0)
    assert (bay.path, bay.depth) == (f"/{ward.pk}/{bay.pk}/", 1)


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_org_unit_update_refuses_moving_under_itself_or_a_descendant(pm, target):
    # given North > Ward > Bay
    north = services.org_unit_create(name="North", code="north")
    ward = services.org_unit_create(name="Ward", code="ward", parent=north)
    bay = services.org_unit_create(name="Bay", code="bay", parent=ward)
    new_parent = {"itself": north, "child": ward, "grandchild": bay}[target]
    # when North is moved under it
    with pytest.raises(ApplicationError) as excinfo:
        services.org_unit_update(unit=north, actor=pm, parent=new_parent)
    # then it is refused and no path changed
    assert excinfo.value.code == "org_unit_cycle"
    paths = dict(OrgUnit.objects.values_list("code", "path"))
    assert paths == {
        "north": f"/{north.pk}/",
        "ward": f"/{north.pk}/{ward.pk}/",
        "bay": f"/{north.pk}/{ward.pk}/{bay.pk}/",
    }
    north.refresh_from_db()
    assert north.parent is None
    assert AuditEntry.objects.filter(action="people.org_unit.updated").count() == 0


def test_org_unit_update_keeps_prefix_siblings_apart(pm):
    # given units whose ids share a prefix ("/1/" vs "/12/") the move only touches the subtree
    units = [services.org_unit_create(name=f"U{i}", code=f"u{i}") for i in range(12)]
    first, twelfth = units[0], units[11]
    child = services.org_unit_create(name="Child", code="child", parent=twelfth)
    target = services.org_unit_create(name="Target", code="target")
    services.org_unit_update(unit=first, actor=pm, parent=target)
    child.refresh_from_db()
    assert child.path == f"/{twelfth.pk}/{child.pk}/"
