"""The people API: directory, profiles, create/update/roles/deactivate, org units.

Every denial path is tested with the role that meets it, and negative tests check the database
did not change. Authentication and error mapping themselves are tested in ``cascade/api/tests``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry
from cascade.people import services
from cascade.people.models import AccessToken, OrgUnit, Person, Role, RoleAssignment
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

PEOPLE = "/api/v1/people"
UNITS = "/api/v1/org-units"


# --- Fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def north(db: None) -> OrgUnit:
    return OrgUnitFactory(name="North", code="north")


@pytest.fixture
def north_ward(north: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="North Ward", code="north-ward", parent=north)


@pytest.fixture
def south(db: None) -> OrgUnit:
    return OrgUnitFactory(name="South", code="south")


@pytest.fixture
def scoped_pm(north: OrgUnit) -> Person:
    """A program manager for North and everything below it, working in North."""
    pm = PersonFactory(display_name="Nora North", email="nora@example.org", org_unit=north)
    RoleAssignment.objects.create(person=pm, role=Role.PROGRAM_MANAGER, org_unit=north)
    return pm


def auth(person: Person, scope: str = AccessToken.Scope.WRITE) -> dict[str, str]:
    _token, key = services.token_create(person=person, name="test", scope=scope)
    return {"authorization": f"Bearer {key}"}


def snapshot(person: Person) -> dict[str, Any]:
    """Everything about a person a request could change, fresh from the database."""
    p = Person.objects.get(pk=person.pk)
    return {
        "email": p.email,
        "display_name": p.display_name,
        "job_title": p.job_title,
        "time_zone": p.time_zone,
        "languages": p.languages,
        "org_unit": p.org_unit_id,
        "manager": p.manager_id,
        "is_active": p.is_active,
        "is_staff": p.is_staff,
        "is_superuser": p.is_superuser,
        "password": p.password,
        "roles": sorted(p.role_assignments.values_list("role", "org_unit_id")),
    }


# --- GET /people ----------------------------------------------------------------------------


def test_list_people_as_program_manager_is_ordered_and_paginated(client, program_manager, north):
    # Given three more people, one of them deactivated
    bea = PersonFactory(
        display_name="Bea Adams",
        org_unit=north,
        roles=["trainer", "learner"],
        date_joined=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    cal = PersonFactory(display_name="Cal Brown", job_title="Nurse")
    PersonFactory(display_name="Abe Gone", is_active=False)
    # When the program manager lists people
    response = client.get(PEOPLE, headers=auth(program_manager))
    # Then active people come ordered by name, with their roles
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["page"] == 1
    assert body["page_size"] == 50
    assert [p["id"] for p in body["items"]] == [bea.pk, cal.pk, program_manager.pk]
    assert body["items"][0] == {
        "id": bea.pk,
        "email": bea.email,
        "display_name": "Bea Adams",
        "job_title": "",
        "time_zone": "UTC",
        "language": "en",
        "languages": [],
        "region": "",
        "location": "",
        "org_unit_id": north.pk,
        "manager_id": None,
        "roles": ["learner", "trainer"],
        "is_active": True,
        "date_joined": "2025-01-02T03:04:05Z",
        "deactivated_at": None,
    }


def test_list_people_pages(client, program_manager):
    people = [PersonFactory(display_name=f"Person {i:02d}") for i in range(5)]
    response = client.get(PEOPLE, {"page": 2, "page_size": 2}, headers=auth(program_manager))
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (6, 2, 2)
    # "Pat Manager" sorts first, so page 2 starts at the second of the five.
    assert [p["id"] for p in body["items"]] == [people[1].pk, people[2].pk]


def test_list_people_beyond_the_last_page_is_empty(client, program_manager):
    response = client.get(PEOPLE, {"page": 9}, headers=auth(program_manager))
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["count"] == 1


def test_list_people_filters(client, program_manager, north, north_ward, south):
    ward = PersonFactory(display_name="Wendy Ward", org_unit=north_ward, roles=["trainer"])
    PersonFactory(display_name="Sam South", org_unit=south, roles=["trainer"])
    gone = PersonFactory(display_name="Wes Gone", org_unit=north_ward, is_active=False)
    headers = auth(program_manager)

    def ids(**params: Any) -> list[int]:
        response = client.get(PEOPLE, params, headers=headers)
        assert response.status_code == 200
        return [p["id"] for p in response.json()["items"]]

    assert ids(org_unit=north.pk) == [ward.pk]
    assert ids(org_unit=north.pk, include_inactive="true") == [ward.pk, gone.pk]
    assert ids(search="wendy") == [ward.pk]
    assert ids(role="program_manager") == [program_manager.pk]
    assert ids(role="trainer", org_unit=north.pk) == [ward.pk]


def test_list_people_rejects_unknown_filters(client, program_manager):
    headers = auth(program_manager)
    unknown_unit = client.get(PEOPLE, {"org_unit": 999999}, headers=headers)
    assert unknown_unit.status_code == 400
    assert unknown_unit.json()["code"] == "unknown_org_unit"
    bad_role = client.get(PEOPLE, {"role": "emperor"}, headers=headers)
    assert bad_role.status_code == 422
    assert bad_role.json()["code"] == "validation_error"
    assert [e["loc"] for e in bad_role.json()["errors"]] == [["query", "role"]]
    too_big = client.get(PEOPLE, {"page_size": 201}, headers=headers)
    assert too_big.status_code == 422


def test_list_people_scoped_program_manager_sees_only_their_units(
    client, scoped_pm, north_ward, south
):
    ward = PersonFactory(display_name="Wendy Ward", org_unit=north_ward)
    PersonFactory(display_name="Sam South", org_unit=south)
    PersonFactory(display_name="Una Unplaced")
    response = client.get(PEOPLE, headers=auth(scoped_pm))
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [scoped_pm.pk, ward.pk]
    assert response.json()["count"] == 2
    # Filtering by someone else's unit shows nobody rather than their people.
    other = client.get(PEOPLE, {"org_unit": south.pk}, headers=auth(scoped_pm))
    assert other.json()["items"] == []


@pytest.mark.parametrize("role", ["learner", "trainer", "master_trainer", "manager"])
def test_list_people_is_for_program_managers_only(client, make_person, role):
    person = make_person(role)
    response = client.get(PEOPLE, headers=auth(person))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


def test_list_people_query_count_does_not_grow_with_page_size(
    client, program_manager, north, django_assert_max_num_queries
):
    headers = auth(program_manager)
    PersonFactory.create_batch(3, org_unit=north, roles=["learner", "trainer"])
    client.get(PEOPLE, headers=headers)  # the token's first use records last_used_at
    with CaptureQueriesContext(connection) as few:
        assert client.get(PEOPLE, headers=headers).status_code == 200
    PersonFactory.create_batch(40, org_unit=north, roles=["learner", "trainer"])
    with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as many:
        response = client.get(PEOPLE, headers=headers)
    assert len(response.json()["items"]) == 44
    assert len(many) == len(few)


# --- GET /people/{id} and /people/me --------------------------------------------------------


def test_read_own_profile_and_me(client, learner):
    headers = auth(learner)
    response = client.get(f"{PEOPLE}/{learner.pk}", headers=headers)
    assert response.status_code == 200
    assert response.json()["email"] == "learner@example.org"
    me = client.get(f"{PEOPLE}/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == response.json()
    assert me.json()["roles"] == ["learner"]


def test_learner_reading_another_person_gets_404_like_a_missing_id(client, learner):
    other = PersonFactory()
    hidden = client.get(f"{PEOPLE}/{other.pk}", headers=auth(learner))
    missing = client.get(f"{PEOPLE}/999999", headers=auth(learner))
    assert hidden.status_code == 404
    assert missing.status_code == 404
    assert hidden.json() == missing.json()
    assert hidden.json()["code"] == "not_found"


def test_managers_read_their_reports_down_the_chain(client, make_person):
    boss = make_person("manager")
    lead = PersonFactory(manager=boss)
    worker = PersonFactory(manager=lead)
    assert client.get(f"{PEOPLE}/{worker.pk}", headers=auth(boss)).status_code == 200
    # ...but not upwards.
    assert client.get(f"{PEOPLE}/{boss.pk}", headers=auth(worker)).status_code == 404


def test_scoped_program_manager_cannot_read_people_of_another_unit(
    client, scoped_pm, north_ward, south
):
    ward = PersonFactory(org_unit=north_ward)
    southerner = PersonFactory(org_unit=south)
    headers = auth(scoped_pm)
    assert client.get(f"{PEOPLE}/{ward.pk}", headers=headers).status_code == 200
    response = client.get(f"{PEOPLE}/{southerner.pk}", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- POST /people ---------------------------------------------------------------------------


def test_program_manager_creates_a_person(client, program_manager, north):
    boss = PersonFactory()
    payload = {
        "email": " New.Person@Example.org ",
        "display_name": "  New Person ",
        "org_unit_id": north.pk,
        "manager_id": boss.pk,
        "roles": ["trainer", "learner"],
        "job_title": "Nurse educator",
        "time_zone": "Europe/Paris",
        "languages": ["FR", "en", "fr"],
    }
    response = client.post(
        PEOPLE, payload, content_type="application/json", headers=auth(program_manager)
    )
    assert response.status_code == 201
    person = Person.objects.get(email="new.person@example.org")
    body = response.json()
    assert body["id"] == person.pk
    assert body["display_name"] == "New Person"
    assert body["roles"] == ["learner", "trainer"]
    assert body["org_unit_id"] == north.pk
    assert body["manager_id"] == boss.pk
    assert person.languages == ["en", "fr"]
    assert person.time_zone == "Europe/Paris"
    assert person.has_usable_password() is False
    assert AuditEntry.objects.filter(action="people.person.created").count() == 1


def test_create_ignores_fields_a_client_must_not_set(client, program_manager):
    payload = {
        "id": 4242,
        "email": "sneaky@example.org",
        "display_name": "Sneaky",
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "password": "chosen-by-attacker-123",
    }
    response = client.post(
        PEOPLE, payload, content_type="application/json", headers=auth(program_manager)
    )
    assert response.status_code == 201
    person = Person.objects.get(email="sneaky@example.org")
    assert person.pk != 4242
    assert (person.is_staff, person.is_superuser, person.is_active) == (False, False, True)
    assert person.has_usable_password() is False
    assert sorted(person.roles) == ["learner"]


@pytest.mark.parametrize("role", ["learner", "trainer", "master_trainer", "manager"])
def test_only_program_managers_create_people(client, make_person, role):
    person = make_person(role)
    before = Person.objects.count()
    response = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X"},
        content_type="application/json",
        headers=auth(person),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Person.objects.count() == before


def test_create_validates_roles_and_fields(client, program_manager):
    headers = auth(program_manager)
    before = Person.objects.count()
    bad_role = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X", "roles": ["emperor"]},
        content_type="application/json",
        headers=headers,
    )
    assert bad_role.status_code == 422
    assert [e["loc"] for e in bad_role.json()["errors"]] == [["body", "payload", "roles", 0]]
    bad_language = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X", "languages": ["<svg onload=1>"]},
        content_type="application/json",
        headers=headers,
    )
    assert bad_language.status_code == 422
    bad_zone = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X", "time_zone": "Mars/Olympus"},
        content_type="application/json",
        headers=headers,
    )
    assert bad_zone.status_code == 400
    assert bad_zone.json()["code"] == "invalid"
    assert bad_zone.json()["errors"] == [
        {"loc": ["time_zone"], "msg": "“Mars/Olympus” is not a known time zone."}
    ]
    bad_email = client.post(
        PEOPLE,
        {"email": "not-an-email", "display_name": "X"},
        content_type="application/json",
        headers=headers,
    )
    assert bad_email.status_code == 400
    assert bad_email.json()["errors"][0]["loc"] == ["email"]
    assert Person.objects.count() == before


def test_create_with_a_taken_email_is_a_conflict(client, program_manager, learner):
    response = client.post(
        PEOPLE,
        {"email": "LEARNER@example.org", "display_name": "Twin"},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert Person.objects.filter(email__iexact="learner@example.org").count() == 1


def test_create_with_unknown_unit_or_manager(client, program_manager):
    headers = auth(program_manager)
    before = Person.objects.count()
    unit = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X", "org_unit_id": 999999},
        content_type="application/json",
        headers=headers,
    )
    assert unit.status_code == 400
    assert unit.json()["code"] == "unknown_org_unit"
    manager = client.post(
        PEOPLE,
        {"email": "x@example.org", "display_name": "X", "manager_id": 999999},
        content_type="application/json",
        headers=headers,
    )
    assert manager.status_code == 400
    assert manager.json()["code"] == "unknown_manager"
    assert Person.objects.count() == before


def test_scoped_program_manager_must_place_people_in_their_units(
    client, scoped_pm, north_ward, south
):
    headers = auth(scoped_pm)
    before = Person.objects.count()

    def create(**extra: Any) -> Any:
        return client.post(
            PEOPLE,
            {"email": "x@example.org", "display_name": "X", **extra},
            content_type="application/json",
            headers=headers,
        )

    nowhere = create()
    assert nowhere.status_code == 400
    assert nowhere.json()["code"] == "org_unit_required"
    elsewhere = create(org_unit_id=south.pk)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "forbidden"
    as_global_pm = create(org_unit_id=north_ward.pk, roles=["program_manager"])
    assert as_global_pm.status_code == 403
    assert as_global_pm.json()["code"] == "scope_forbidden"
    pm_elsewhere = create(
        org_unit_id=north_ward.pk, roles=["program_manager"], scope_org_unit_id=south.pk
    )
    assert pm_elsewhere.status_code == 403
    assert pm_elsewhere.json()["code"] == "scope_forbidden"
    assert Person.objects.count() == before
    created = create(
        org_unit_id=north_ward.pk,
        roles=["program_manager", "trainer"],
        scope_org_unit_id=north_ward.pk,
    )
    assert created.status_code == 201
    person = Person.objects.get(email="x@example.org")
    assert person.org_unit == north_ward
    assert sorted(person.role_assignments.values_list("role", "org_unit_id")) == [
        ("program_manager", north_ward.pk),
        ("trainer", None),
    ]


# --- PATCH /people/{id} ---------------------------------------------------------------------


def test_program_manager_updates_a_person(client, program_manager, north, south):
    boss = PersonFactory()
    person = PersonFactory(org_unit=north, job_title="Nurse")
    response = client.patch(
        f"{PEOPLE}/{person.pk}",
        {"job_title": "Senior nurse", "org_unit_id": south.pk, "manager_id": boss.pk},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 200
    assert response.json()["job_title"] == "Senior nurse"
    person.refresh_from_db()
    assert (person.job_title, person.org_unit, person.manager) == ("Senior nurse", south, boss)
    # Keys not sent stay; null clears the manager.
    cleared = client.patch(
        f"{PEOPLE}/{person.pk}",
        {"manager_id": None},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert cleared.status_code == 200
    person.refresh_from_db()
    assert (person.job_title, person.org_unit, person.manager) == ("Senior nurse", south, None)


def test_update_ignores_fields_a_client_must_not_set(client, program_manager):
    person = PersonFactory(email="kept@example.org")
    before = snapshot(person)
    response = client.patch(
        f"{PEOPLE}/{person.pk}",
        {
            "id": 4242,
            "email": "changed@example.org",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "password": "chosen-by-attacker-123",
            "roles": ["program_manager"],
        },
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 200
    assert snapshot(person) == before


def test_update_rejects_null_for_text_fields(client, program_manager):
    person = PersonFactory(display_name="Kept Name")
    before = snapshot(person)
    response = client.patch(
        f"{PEOPLE}/{person.pk}",
        {"display_name": None},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 422
    assert snapshot(person) == before


def test_update_refuses_a_manager_loop(client, program_manager):
    boss = PersonFactory()
    report = PersonFactory(manager=boss)
    before = snapshot(boss)
    response = client.patch(
        f"{PEOPLE}/{boss.pk}",
        {"manager_id": report.pk},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "manager_cycle"
    assert snapshot(boss) == before


def test_scoped_program_manager_cannot_edit_people_of_another_unit(
    client, scoped_pm, north_ward, south
):
    southerner = PersonFactory(org_unit=south)
    ward = PersonFactory(org_unit=north_ward)
    headers = auth(scoped_pm)
    before = (snapshot(southerner), snapshot(ward))
    hidden = client.patch(
        f"{PEOPLE}/{southerner.pk}",
        {"job_title": "Hacked"},
        content_type="application/json",
        headers=headers,
    )
    assert hidden.status_code == 404
    moved_out = client.patch(
        f"{PEOPLE}/{ward.pk}",
        {"org_unit_id": south.pk},
        content_type="application/json",
        headers=headers,
    )
    assert moved_out.status_code == 403
    unplaced = client.patch(
        f"{PEOPLE}/{ward.pk}",
        {"org_unit_id": None},
        content_type="application/json",
        headers=headers,
    )
    assert unplaced.status_code == 400
    assert unplaced.json()["code"] == "org_unit_required"
    assert (snapshot(southerner), snapshot(ward)) == before


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_non_program_managers_cannot_update_even_people_they_see(client, make_person, role):
    viewer = make_person(role)
    report = PersonFactory(manager=viewer)
    before = (snapshot(viewer), snapshot(report))
    for target in (viewer, report):
        response = client.patch(
            f"{PEOPLE}/{target.pk}",
            {"job_title": "Self-promoted"},
            content_type="application/json",
            headers=auth(viewer),
        )
        assert response.status_code == 403
    assert (snapshot(viewer), snapshot(report)) == before


# --- PUT /people/{id}/roles -----------------------------------------------------------------


def test_program_manager_sets_roles(client, program_manager, north):
    person = PersonFactory(roles=["learner"])
    response = client.put(
        f"{PEOPLE}/{person.pk}/roles",
        {"roles": ["trainer", "program_manager"], "scope_org_unit_id": north.pk},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["program_manager", "trainer"]
    assert sorted(person.role_assignments.values_list("role", "org_unit_id")) == [
        ("program_manager", north.pk),
        ("trainer", None),
    ]


def test_changing_only_the_program_manager_scope_moves_it(client, program_manager, north, south):
    person = PersonFactory()
    RoleAssignment.objects.create(person=person, role=Role.PROGRAM_MANAGER, org_unit=north)
    response = client.put(
        f"{PEOPLE}/{person.pk}/roles",
        {"roles": ["program_manager"], "scope_org_unit_id": south.pk},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 200
    assert list(person.role_assignments.values_list("role", "org_unit_id")) == [
        ("program_manager", south.pk)
    ]


def test_scoped_program_manager_cannot_touch_a_wider_program_manager(client, scoped_pm, north_ward):
    wider = PersonFactory(org_unit=north_ward, roles=["program_manager"])
    before = snapshot(wider)
    headers = auth(scoped_pm)
    deactivate = client.post(f"{PEOPLE}/{wider.pk}/deactivate", headers=headers)
    assert deactivate.status_code == 403
    demote = client.put(
        f"{PEOPLE}/{wider.pk}/roles",
        {"roles": ["learner"]},
        content_type="application/json",
        headers=headers,
    )
    assert demote.status_code == 403
    assert snapshot(wider) == before


def test_set_roles_rejects_unknown_roles(client, program_manager):
    person = PersonFactory(roles=["learner"])
    before = snapshot(person)
    response = client.put(
        f"{PEOPLE}/{person.pk}/roles",
        {"roles": ["superuser"]},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 422
    assert snapshot(person) == before


def test_scoped_program_manager_grants_management_only_in_their_units(
    client, scoped_pm, north_ward, south
):
    person = PersonFactory(org_unit=north_ward, roles=["learner"])
    headers = auth(scoped_pm)
    before = snapshot(person)
    for scope in (None, south.pk):
        response = client.put(
            f"{PEOPLE}/{person.pk}/roles",
            {"roles": ["program_manager"], "scope_org_unit_id": scope},
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "scope_forbidden"
    assert snapshot(person) == before
    allowed = client.put(
        f"{PEOPLE}/{person.pk}/roles",
        {"roles": ["program_manager"], "scope_org_unit_id": north_ward.pk},
        content_type="application/json",
        headers=headers,
    )
    assert allowed.status_code == 200
    assert list(person.role_assignments.values_list("role", "org_unit_id")) == [
        ("program_manager", north_ward.pk)
    ]


def test_program_manager_cannot_drop_their_own_role(client, program_manager):
    before = snapshot(program_manager)
    response = client.put(
        f"{PEOPLE}/{program_manager.pk}/roles",
        {"roles": ["learner"]},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "self_demotion"
    assert snapshot(program_manager) == before


def test_learner_cannot_set_their_own_roles(client, learner):
    before = snapshot(learner)
    response = client.put(
        f"{PEOPLE}/{learner.pk}/roles",
        {"roles": ["program_manager"]},
        content_type="application/json",
        headers=auth(learner),
    )
    assert response.status_code == 403
    assert snapshot(learner) == before


# --- POST /people/{id}/deactivate -----------------------------------------------------------


def test_program_manager_deactivates_a_person_and_their_tokens(client, program_manager):
    person = PersonFactory()
    token, _key = services.token_create(person=person, name="sync")
    response = client.post(f"{PEOPLE}/{person.pk}/deactivate", headers=auth(program_manager))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["deactivated_at"] is not None
    person.refresh_from_db()
    token.refresh_from_db()
    assert person.is_active is False
    assert token.revoked_at is not None


def test_deactivate_denials_change_nothing(client, program_manager, scoped_pm, learner, south):
    southerner = PersonFactory(org_unit=south)
    before = (snapshot(program_manager), snapshot(southerner))
    myself = client.post(f"{PEOPLE}/{program_manager.pk}/deactivate", headers=auth(program_manager))
    assert myself.status_code == 400
    assert myself.json()["code"] == "self_deactivation"
    other_unit = client.post(f"{PEOPLE}/{southerner.pk}/deactivate", headers=auth(scoped_pm))
    assert other_unit.status_code == 404
    by_learner = client.post(f"{PEOPLE}/{southerner.pk}/deactivate", headers=auth(learner))
    assert by_learner.status_code == 403
    assert (snapshot(program_manager), snapshot(southerner)) == before


# --- Org units ------------------------------------------------------------------------------


def test_anyone_signed_in_lists_and_reads_org_units(client, learner, north, north_ward, south):
    response = client.get(UNITS, headers=auth(learner, scope="read"))
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": north.pk,
                "name": "North",
                "code": "north",
                "parent_id": None,
                "path": f"/{north.pk}/",
                "depth": 0,
            },
            {
                "id": north_ward.pk,
                "name": "North Ward",
                "code": "north-ward",
                "parent_id": north.pk,
                "path": f"/{north.pk}/{north_ward.pk}/",
                "depth": 1,
            },
            {
                "id": south.pk,
                "name": "South",
                "code": "south",
                "parent_id": None,
                "path": f"/{south.pk}/",
                "depth": 0,
            },
        ],
        "count": 3,
        "page": 1,
        "page_size": 50,
    }
    one = client.get(f"{UNITS}/{north_ward.pk}", headers=auth(learner))
    assert one.status_code == 200
    assert one.json()["parent_id"] == north.pk
    missing = client.get(f"{UNITS}/999999", headers=auth(learner))
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_org_units_list_query_count_is_fixed(client, learner, north, django_assert_max_num_queries):
    headers = auth(learner)
    OrgUnitFactory.create_batch(30, parent=north)
    with django_assert_max_num_queries(4):
        response = client.get(UNITS, headers=headers)
    assert response.json()["count"] == 31


def test_program_manager_creates_org_units(client, program_manager, north):
    headers = auth(program_manager)
    top = client.post(
        UNITS, {"name": " East ", "code": "east"}, content_type="application/json", headers=headers
    )
    assert top.status_code == 201
    east = OrgUnit.objects.get(code="east")
    assert top.json() == {
        "id": east.pk,
        "name": "East",
        "code": "east",
        "parent_id": None,
        "path": f"/{east.pk}/",
        "depth": 0,
    }
    child = client.post(
        UNITS,
        {"name": "North Clinic", "code": "north-clinic", "parent_id": north.pk},
        content_type="application/json",
        headers=headers,
    )
    assert child.status_code == 201
    assert child.json()["depth"] == 1
    assert child.json()["path"] == f"/{north.pk}/{child.json()['id']}/"


def test_org_unit_create_denials_change_nothing(client, program_manager, scoped_pm, learner, south):
    before = OrgUnit.objects.count()

    def create(person: Person, **payload: Any) -> Any:
        return client.post(UNITS, payload, content_type="application/json", headers=auth(person))

    assert create(learner, name="L", code="l").status_code == 403
    assert create(scoped_pm, name="Top", code="top").status_code == 403
    assert create(scoped_pm, name="S", code="s", parent_id=south.pk).status_code == 403
    unknown_parent = create(program_manager, name="U", code="u", parent_id=999999)
    assert unknown_parent.status_code == 400
    assert unknown_parent.json()["code"] == "unknown_org_unit"
    taken = create(program_manager, name="South again", code="south")
    assert taken.status_code == 400
    assert taken.json()["code"] == "invalid"
    assert taken.json()["errors"][0]["loc"] == ["code"]
    bad_code = create(program_manager, name="Bad", code="no spaces")
    assert bad_code.status_code == 422
    assert OrgUnit.objects.count() == before


def test_scoped_program_manager_creates_units_inside_theirs(client, scoped_pm, north_ward):
    response = client.post(
        UNITS,
        {"name": "Ward Annex", "code": "ward-annex", "parent_id": north_ward.pk},
        content_type="application/json",
        headers=auth(scoped_pm),
    )
    assert response.status_code == 201
    assert OrgUnit.objects.get(code="ward-annex").parent == north_ward


def test_program_manager_renames_and_moves_org_units(client, program_manager, north_ward, south):
    response = client.patch(
        f"{UNITS}/{north_ward.pk}",
        {"name": "South Ward", "parent_id": south.pk},
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert response.status_code == 200
    assert response.json()["name"] == "South Ward"
    assert response.json()["path"] == f"/{south.pk}/{north_ward.pk}/"
    north_ward.refresh_from_db()
    assert (north_ward.parent, north_ward.depth) == (south, 1)


def test_org_unit_update_denials_change_nothing(
    client, program_manager, scoped_pm, learner, north, north_ward, south
):
    def state() -> list[tuple[Any, ...]]:
        return list(OrgUnit.objects.order_by("pk").values_list("name", "parent_id", "path"))

    before = state()

    def patch(person: Person, unit: OrgUnit, **payload: Any) -> Any:
        return client.patch(
            f"{UNITS}/{unit.pk}", payload, content_type="application/json", headers=auth(person)
        )

    assert patch(learner, north, name="Mine").status_code == 403
    assert patch(scoped_pm, south, name="Mine").status_code == 403
    assert patch(scoped_pm, north_ward, parent_id=south.pk).status_code == 403
    assert patch(scoped_pm, north, parent_id=None).status_code == 403
    cycle = patch(program_manager, north, parent_id=north_ward.pk)
    assert cycle.status_code == 400
    assert cycle.json()["code"] == "org_unit_cycle"
    assert patch(program_manager, north, name=None).status_code == 422
    assert state() == before
