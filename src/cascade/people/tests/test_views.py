"""People pages: each role on each view, and what the allowed ones do."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry, Notification
from cascade.people import services
from cascade.people.models import AccessToken, OrgUnit, Person, RoleAssignment
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory, RoleAssignmentFactory

ROLES = ["learner", "trainer", "master_trainer", "manager", "program_manager"]


@pytest.fixture
def world(db) -> dict[str, Any]:
    """North > Ward and South; Sam (a learner in Ward) reports to Morgan (a manager)."""
    north = OrgUnitFactory(name="North", code="north")
    ward = OrgUnitFactory(name="Ward", code="ward", parent=north)
    south = OrgUnitFactory(name="South", code="south")
    morgan = PersonFactory(
        roles=["manager"], email="morgan@example.org", display_name="Morgan Boss", org_unit=north
    )
    sam = PersonFactory(
        roles=["learner"],
        email="sam@example.org",
        display_name="Sam Target",
        job_title="Nurse",
        org_unit=ward,
        manager=morgan,
    )
    return {"north": north, "ward": ward, "south": south, "morgan": morgan, "sam": sam}


def _scoped_pm(unit: OrgUnit, **kwargs: Any) -> Person:
    person = PersonFactory(**kwargs)
    RoleAssignmentFactory(person=person, role="program_manager", org_unit=unit)
    return person


def _viewer(kind: str, world: dict[str, Any]) -> Person:
    """A viewer of each kind; the manager is Sam's own manager."""
    if kind == "manager":
        return world["morgan"]
    if kind == "scoped_pm_other_unit":
        return _scoped_pm(world["south"], display_name="South PM")
    if kind == "scoped_pm_same_unit":
        return _scoped_pm(world["north"], display_name="North PM")
    return PersonFactory(roles=[kind], org_unit=world["north"])


def _snapshot(person: Person) -> dict[str, Any]:
    """Everything a denied request could have changed about a person."""
    row = Person.objects.filter(pk=person.pk).values().get()
    row.pop("last_login")
    return {
        "row": row,
        "roles": sorted(
            RoleAssignment.objects.filter(person=person).values_list("role", "org_unit_id")
        ),
        "notifications": Notification.objects.filter(recipient=person).count(),
        "audit": AuditEntry.objects.count(),
        "mail": len(mail.outbox),
    }


def _edit_data(world: dict[str, Any], **changes: str) -> dict[str, str]:
    return {
        "display_name": "Sam Changed",
        "job_title": "Head nurse",
        "org_unit": str(world["ward"].pk),
        "manager_email": "",
        "region": "",
        "location": "",
        "languages": "en",
        "time_zone": "UTC",
        **changes,
    }


VIEWER_KINDS = [*ROLES, "scoped_pm_other_unit", "scoped_pm_same_unit"]
PM_KINDS = {"program_manager", "scoped_pm_same_unit"}

# --- Each role on each view -----------------------------------------------------------------


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_directory_is_for_program_managers_only(client, world, kind):
    # given a viewer of each kind
    viewer = _viewer(kind, world)
    client.force_login(viewer)
    # when they open the directory
    response = client.get("/people/")
    # then program managers see it, everyone else is refused
    expected = 200 if kind in {*PM_KINDS, "scoped_pm_other_unit"} else 403
    assert response.status_code == expected
    html = response.content.decode()
    assert ("Sam Target" in html) is (kind in PM_KINDS)


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_add_person_page_is_for_program_managers_only(client, world, kind):
    client.force_login(_viewer(kind, world))
    response = client.get("/people/new/")
    assert response.status_code == (403 if kind in set(ROLES) - {"program_manager"} else 200)


PROFILE_EXPECTED = {
    "learner": 404,
    "trainer": 404,
    "master_trainer": 404,
    "manager": 200,  # Sam's own manager
    "program_manager": 200,
    "scoped_pm_other_unit": 404,
    "scoped_pm_same_unit": 200,
}


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_profile_is_for_self_managers_and_program_managers_in_scope(client, world, kind):
    # given a viewer of each kind
    client.force_login(_viewer(kind, world))
    # when they open Sam's profile
    response = client.get(f"/people/{world['sam'].pk}/")
    # then only Sam's managers and program managers in scope see it; others get a plain 404
    assert response.status_code == PROFILE_EXPECTED[kind]
    html = response.content.decode()
    assert ("Sam Target" in html) is (PROFILE_EXPECTED[kind] == 200)
    if response.status_code == 404:
        assert "There is nothing at this address." in html


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_their_own_profile(client, make_person, role):
    person = make_person(role, display_name="Robin Self")
    client.force_login(person)
    response = client.get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert "Robin Self" in response.content.decode()


def test_profile_of_someone_who_does_not_exist_is_404(client, program_manager):
    client.force_login(program_manager)
    assert client.get("/people/999999/").status_code == 404


def test_profile_requires_sign_in(client, world):
    response = client.get(f"/people/{world['sam'].pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next=/people/{world['sam'].pk}/"


MANAGE_EXPECTED = {
    "learner": 403,
    "trainer": 403,
    "master_trainer": 403,
    "manager": 403,
    "program_manager": None,  # allowed
    "scoped_pm_other_unit": 404,
    "scoped_pm_same_unit": None,
}


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_edit_person_page(client, world, kind):
    sam = world["sam"]
    client.force_login(_viewer(kind, world))
    response = client.get(f"/people/{sam.pk}/edit/")
    assert response.status_code == (MANAGE_EXPECTED[kind] or 200)


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_edit_person_post(client, world, kind):
    # given a viewer of each kind
    sam = world["sam"]
    viewer = _viewer(kind, world)
    client.force_login(viewer)
    before = _snapshot(sam)
    # when they post changes to Sam
    response = client.post(f"/people/{sam.pk}/edit/", _edit_data(world))
    # then program managers in scope save them; for everyone else nothing changed
    if MANAGE_EXPECTED[kind] is None:
        assert response.status_code == 302
        assert response["Location"] == f"/people/{sam.pk}/"
        sam.refresh_from_db()
        assert (sam.display_name, sam.job_title) == ("Sam Changed", "Head nurse")
    else:
        assert response.status_code == MANAGE_EXPECTED[kind]
        assert _snapshot(sam) == before


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_roles_page(client, world, kind):
    client.force_login(_viewer(kind, world))
    response = client.get(f"/people/{world['sam'].pk}/roles/")
    assert response.status_code == (MANAGE_EXPECTED[kind] or 200)


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_roles_post(client, world, kind):
    # given a viewer of each kind
    sam = world["sam"]
    client.force_login(_viewer(kind, world))
    before = _snapshot(sam)
    # when they make Sam a trainer
    response = client.post(f"/people/{sam.pk}/roles/", {"roles": ["trainer"], "scope": ""})
    # then only program managers in scope can
    if MANAGE_EXPECTED[kind] is None:
        assert response.status_code == 302
        assert sorted(sam.role_assignments.values_list("role", flat=True)) == ["trainer"]
    else:
        assert response.status_code == MANAGE_EXPECTED[kind]
        assert _snapshot(sam) == before


@pytest.mark.parametrize("kind", VIEWER_KINDS)
@pytest.mark.parametrize("action", ["deactivate", "invite"])
def test_status_post(client, world, kind, action):
    # given a viewer of each kind
    sam = world["sam"]
    Person.objects.filter(pk=sam.pk).update(last_login=None)
    client.force_login(_viewer(kind, world))
    before = _snapshot(sam)
    # when they post a status change for Sam
    response = client.post(f"/people/{sam.pk}/{action}/")
    # then only program managers in scope can; for everyone else nothing changed
    if MANAGE_EXPECTED[kind] is None:
        assert response.status_code == 302
        assert response["Location"] == f"/people/{sam.pk}/"
        assert _snapshot(sam) != before
    else:
        assert response.status_code == MANAGE_EXPECTED[kind]
        assert _snapshot(sam) == before


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_org_units_page_is_for_program_managers_only(client, world, kind):
    client.force_login(_viewer(kind, world))
    response = client.get("/org-units/")
    assert response.status_code == (403 if kind in set(ROLES) - {"program_manager"} else 200)


@pytest.mark.parametrize("kind", VIEWER_KINDS)
def test_team_page_is_for_managers_only(client, world, kind):
    client.force_login(_viewer(kind, world))
    response = client.get("/team/")
    assert response.status_code == (200 if kind == "manager" else 403)


@pytest.mark.parametrize(
    "url", ["/people/", "/people/new/", "/people/1/", "/org-units/", "/team/", "/me/"]
)
def test_pages_send_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next={url}"


# --- POST-only endpoints and safe GETs ------------------------------------------------------


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "invite"])
def test_status_endpoints_reject_get_and_change_nothing(client, world, program_manager, action):
    sam = world["sam"]
    client.force_login(program_manager)
    before = _snapshot(sam)
    response = client.get(f"/people/{sam.pk}/{action}/")
    assert response.status_code == 405
    assert _snapshot(sam) == before


def test_token_revoke_rejects_get_and_changes_nothing(client, learner):
    token, _key = services.token_create(person=learner, name="x")
    client.force_login(learner)
    response = client.get(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_get_with_form_data_in_the_query_changes_nothing(client, world, program_manager):
    # given a program manager opening forms with values in the query string
    sam = world["sam"]
    client.force_login(program_manager)
    before = _snapshot(sam)
    client.get(f"/people/{sam.pk}/edit/", _edit_data(world))
    client.get(f"/people/{sam.pk}/roles/", {"roles": ["trainer"]})
    client.get("/people/new/", {"email": "ghost@example.org", "display_name": "Ghost"})
    client.get("/org-units/", {"name": "Ghost", "code": "ghost"})
    client.get("/me/", {"display_name": "Ghost"})
    # then nothing was written
    assert _snapshot(sam) == before
    assert not Person.objects.filter(email="ghost@example.org").exists()
    assert not OrgUnit.objects.filter(code="ghost").exists()
    program_manager.refresh_from_db()
    assert program_manager.display_name == "Pat Manager"


def test_unknown_status_action_is_404(client, world, program_manager):
    sam = world["sam"]
    client.force_login(program_manager)
    before = _snapshot(sam)
    assert client.post(f"/people/{sam.pk}/promote/").status_code == 404
    assert _snapshot(sam) == before


# --- Directory ------------------------------------------------------------------------------


def test_directory_lists_active_people_with_their_details(client, world, program_manager):
    PersonFactory(display_name="Gone Person", is_active=False)
    client.force_login(program_manager)
    response = client.get("/people/")
    names = [p.display_name for p in response.context["page_obj"]]
    assert names == ["Morgan Boss", "Pat Manager", "Sam Target"]
    html = response.content.decode()
    assert "3 people" in html
    assert "sam@example.org" in html
    assert '<td data-label="Manager">Morgan Boss</td>' in html
    assert '<span class="badge">Learner</span>' in html


def test_directory_filters(client, world, program_manager):
    PersonFactory(display_name="Gone Person", is_active=False, org_unit=world["north"])
    client.force_login(program_manager)

    def names(**query: str) -> list[str]:
        response = client.get("/people/", query)
        return [p.display_name for p in response.context["page_obj"]]

    assert names(q="nurse") == ["Sam Target"]
    assert names(q="MORGAN@") == ["Morgan Boss"]
    assert names(org_unit=str(world["north"].pk)) == ["Morgan Boss", "Sam Target"]
    assert names(org_unit=str(world["south"].pk)) == []
    assert names(role="manager") == ["Morgan Boss"]
    assert names(org_unit=str(world["north"].pk), inactive="on") == [
        "Gone Person",
        "Morgan Boss",
        "Sam Target",
    ]


def test_scoped_directory_shows_only_the_program_managers_units(client, world):
    PersonFactory(display_name="Southerner", org_unit=world["south"])
    scoped = _scoped_pm(world["south"], display_name="South PM")
    client.force_login(scoped)
    response = client.get("/people/")
    assert [p.display_name for p in response.context["page_obj"]] == ["Southerner"]
    # and another unit in the filter is not a valid choice
    response = client.get("/people/", {"org_unit": str(world["north"].pk)})
    assert [p.display_name for p in response.context["page_obj"]] == ["Southerner"]
    assert "org_unit" in response.context["form"].errors


def test_directory_answers_htmx_with_the_results_fragment_only(client, world, program_manager):
    client.force_login(program_manager)
    response = client.get("/people/", {"q": "sam"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "Sam Target" in html
    assert "<html" not in html
    assert "Morgan Boss</a>" not in html


def _directory_queries(client, viewer, world, n: int) -> int:
    Person.objects.exclude(pk__in=[viewer.pk]).delete()
    for i in range(n):
        person = PersonFactory(
            display_name=f"Person {i:03}",
            org_unit=world["ward"],
            manager=PersonFactory(display_name=f"Boss {i:03}", org_unit=world["north"]),
            roles=["learner", "trainer"],
        )
        assert person.pk
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/people/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("kind", ["program_manager", "scoped_pm_same_unit"])
def test_directory_query_count_does_not_grow_with_people(
    client, world, kind, django_assert_max_num_queries
):
    # given a program manager, with 5 people (each with a manager) then 60
    viewer = _viewer(kind, world)
    few = _directory_queries(client, viewer, world, 5)
    many = _directory_queries(client, viewer, world, 60)
    # then the page costs the same number of queries
    assert few == many
    with django_assert_max_num_queries(10):
        client.get("/people/")


# --- Adding a person ------------------------------------------------------------------------


def _new_person_data(**changes: Any) -> dict[str, Any]:
    return {
        "display_name": "Robin New",
        "email": "Robin.New@Example.org",
        "job_title": "Midwife",
        "org_unit": "",
        "manager_email": "",
        "region": "West",
        "location": "",
        "languages": "fr, en",
        "time_zone": "Europe/Paris",
        "r-roles": ["trainer", "learner"],
        "r-scope": "",
        **changes,
    }


def test_program_manager_adds_and_invites_a_person(
    client, world, program_manager, settings, django_capture_on_commit_callbacks
):
    # given a program manager on the add-a-person form
    settings.SITE_URL = "https://cascade.example"
    client.force_login(program_manager)
    data = _new_person_data(org_unit=str(world["ward"].pk), manager_email="MORGAN@example.org")
    # when they save with "email an invitation" ticked
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/people/new/", {**data, "invite": "1"})
    # then the person exists with their roles, and the invitation went out once
    person = Person.objects.get(email="robin.new@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    assert (person.display_name, person.org_unit, person.manager) == (
        "Robin New",
        world["ward"],
        world["morgan"],
    )
    assert person.languages == ["en", "fr"]
    assert sorted(person.roles) == ["learner", "trainer"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin.new@example.org"]
    assert "https://cascade.example/account/set-password/" in mail.outbox[0].body
    page = client.get(response["Location"]).content.decode()
    assert "Robin New is added and invited." in page


def test_program_manager_adds_a_person_without_invitation(
    client, world, program_manager, django_capture_on_commit_callbacks
):
    client.force_login(program_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/people/new/", _new_person_data())
    assert response.status_code == 302
    person = Person.objects.get(email="robin.new@example.org")
    assert person.invited_at is None
    assert mail.outbox == []


def test_adding_a_taken_email_shows_the_error_on_the_field(client, world, program_manager):
    client.force_login(program_manager)
    count = Person.objects.count()
    response = client.post("/people/new/", _new_person_data(email="SAM@example.org"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Someone with the email sam@example.org already exists."]
    }
    assert Person.objects.count() == count


def test_adding_with_an_unknown_manager_email_shows_the_error(client, world, program_manager):
    client.force_login(program_manager)
    response = client.post("/people/new/", _new_person_data(manager_email="nobody@example.org"))
    assert response.context["form"].errors == {
        "manager_email": ["Nobody with this email is in Cascade."]
    }
    assert not Person.objects.filter(email="robin.new@example.org").exists()


def test_scoped_pm_must_choose_one_of_their_units(client, world):
    scoped = _scoped_pm(world["north"])
    client.force_login(scoped)
    response = client.post("/people/new/", _new_person_data())
    assert response.context["form"].errors == {"org_unit": ["Choose one of your org units."]}
    response = client.post("/people/new/", _new_person_data(org_unit=str(world["south"].pk)))
    assert list(response.context["form"].errors) == ["org_unit"]
    assert not Person.objects.filter(email="robin.new@example.org").exists()


def test_scoped_pm_cannot_add_an_organisation_wide_program_manager(client, world):
    # given a program manager of North
    scoped = _scoped_pm(world["north"])
    client.force_login(scoped)
    # when they add a person in North with the program manager role for the whole organisation
    data = _new_person_data(org_unit=str(world["ward"].pk), **{"r-roles": ["program_manager"]})
    response = client.post("/people/new/", data)
    # then it is refused on the scope field and nobody is added
    assert response.status_code == 200
    assert response.context["roles_form"].errors == {
        "scope": ["You can only grant program management in your own org units."]
    }
    assert not Person.objects.filter(email="robin.new@example.org").exists()


def test_scoped_pm_adds_a_program_manager_of_their_unit(client, world):
    scoped = _scoped_pm(world["north"])
    client.force_login(scoped)
    data = _new_person_data(
        org_unit=str(world["ward"].pk),
        **{"r-roles": ["program_manager"], "r-scope": str(world["ward"].pk)},
    )
    response = client.post("/people/new/", data)
    assert response.status_code == 302
    person = Person.objects.get(email="robin.new@example.org")
    assert list(person.role_assignments.values_list("role", "org_unit_id")) == [
        ("program_manager", world["ward"].pk)
    ]


# --- Editing, roles, status -----------------------------------------------------------------


def test_edit_refuses_a_manager_loop_on_the_field(client, world, program_manager):
    # given Sam reports to Morgan
    morgan = world["morgan"]
    client.force_login(program_manager)
    before = _snapshot(morgan)
    # when Morgan is set to report to Sam
    data = _edit_data(
        world,
        display_name="Morgan Boss",
        org_unit=str(world["north"].pk),
        manager_email="sam@example.org",
    )
    response = client.post(f"/people/{morgan.pk}/edit/", data)
    # then the form says why and nothing changed
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "manager_email": ["Sam Target reports to Morgan Boss already; that would make a loop."]
    }
    assert _snapshot(morgan) == before


def test_edit_cannot_change_the_email(client, world, program_manager):
    sam = world["sam"]
    client.force_login(program_manager)
    client.post(f"/people/{sam.pk}/edit/", _edit_data(world, email="evil@example.org"))
    sam.refresh_from_db()
    assert sam.email == "sam@example.org"


def test_edit_records_an_audit_entry(client, world, program_manager):
    sam = world["sam"]
    client.force_login(program_manager)
    client.post(f"/people/{sam.pk}/edit/", _edit_data(world), REMOTE_ADDR="192.0.2.10")
    entry = AuditEntry.objects.get(action="people.person.updated")
    assert entry.actor == program_manager
    assert entry.ip == "192.0.2.10"
    assert entry.changes["display_name"] == ["Sam Target", "Sam Changed"]
    assert entry.changes["manager"] == [world["morgan"].pk, None]


def test_roles_page_saves_and_notifies(client, world, program_manager):
    sam = world["sam"]
    client.force_login(program_manager)
    response = client.post(f"/people/{sam.pk}/roles/", {"roles": ["trainer", "learner"]})
    assert response.status_code == 302
    assert sorted(sam.role_assignments.values_list("role", flat=True)) == ["learner", "trainer"]
    notification = Notification.objects.get(recipient=sam)
    assert notification.body == "Your roles are now: Learner, Trainer."


def test_roles_page_refuses_removing_own_program_manager_role(client, program_manager):
    client.force_login(program_manager)
    response = client.post(f"/people/{program_manager.pk}/roles/", {"roles": ["trainer"]})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "roles": ["You cannot remove your own program manager role."]
    }
    assert list(program_manager.role_assignments.values_list("role", flat=True)) == [
        "program_manager"
    ]


def test_scoped_pm_cannot_grant_organisation_wide_program_management(client, world):
    sam = world["sam"]
    client.force_login(_scoped_pm(world["north"]))
    before = _snapshot(sam)
    response = client.post(f"/people/{sam.pk}/roles/", {"roles": ["program_manager"]})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "scope": ["You can only grant program management in your own org units."]
    }
    assert _snapshot(sam) == before


def test_scoped_pm_cannot_touch_an_organisation_wide_program_manager_in_their_unit(client, world):
    # given an organisation-wide program manager who sits in North, and a PM of North
    wide = PersonFactory(roles=["program_manager"], org_unit=world["north"])
    client.force_login(_scoped_pm(world["north"]))
    before = _snapshot(wide)
    # then the scoped one may look, but not edit, demote or deactivate
    assert client.get(f"/people/{wide.pk}/").status_code == 200
    assert client.post(f"/people/{wide.pk}/roles/", {"roles": []}).status_code == 404
    assert client.post(f"/people/{wide.pk}/deactivate/").status_code == 404
    assert client.post(f"/people/{wide.pk}/edit/", _edit_data(world)).status_code == 404
    assert _snapshot(wide) == before


def test_deactivate_from_the_profile(client, world, program_manager):
    sam = world["sam"]
    _token, key = services.token_create(person=sam, name="x")
    client.force_login(program_manager)
    response = client.post(f"/people/{sam.pk}/deactivate/", follow=True)
    sam.refresh_from_db()
    assert sam.is_active is False
    assert services.token_authenticate(key) is None
    assert "Sam Target is deactivated." in response.content.decode()
    assert Person.objects.filter(pk=sam.pk).exists()


def test_deactivating_yourself_is_refused_with_a_message(client, program_manager):
    client.force_login(program_manager)
    response = client.post(f"/people/{program_manager.pk}/deactivate/", follow=True)
    program_manager.refresh_from_db()
    assert program_manager.is_active is True
    assert "You cannot deactivate yourself." in response.content.decode()


def test_reactivate_from_the_profile(client, world, program_manager):
    sam = world["sam"]
    Person.objects.filter(pk=sam.pk).update(is_active=False)
    client.force_login(program_manager)
    client.post(f"/people/{sam.pk}/reactivate/")
    sam.refresh_from_db()
    assert sam.is_active is True


def test_deactivated_person_is_signed_out_of_open_sessions(client, world, program_manager):
    # given Sam is signed in
    sam = world["sam"]
    client.force_login(sam)
    assert client.get("/").status_code == 200
    # when a program manager deactivates Sam
    services.person_deactivate(person=sam, actor=program_manager)
    # then Sam's next request is sent to sign in
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/"


def test_invite_from_the_profile(
    client, world, program_manager, django_capture_on_commit_callbacks
):
    sam = world["sam"]
    client.force_login(program_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/people/{sam.pk}/invite/", follow=True)
    assert len(mail.outbox) == 1
    assert "An invitation is on its way to sam@example.org." in response.content.decode()


def test_invitation_link_uses_site_url_not_the_host_header(
    client, world, program_manager, settings, django_capture_on_commit_callbacks
):
    # given a request that claims another host
    settings.SITE_URL = "https://cascade.example"
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    client.force_login(program_manager)
    # when the invitation is sent from that request
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{world['sam'].pk}/invite/", HTTP_HOST="evil.example")
    # then the link in the one email points at the site's own address
    assert len(mail.outbox) == 1
    link = mail.outbox[0].body.splitlines()[-1]
    assert link.startswith("https://cascade.example/account/set-password/")
    assert "evil.example" not in mail.outbox[0].body


def test_profile_shows_manage_buttons_only_to_program_managers(client, world, program_manager):
    sam = world["sam"]
    client.force_login(world["morgan"])
    assert f"/people/{sam.pk}/edit/" not in client.get(f"/people/{sam.pk}/").content.decode()
    client.force_login(program_manager)
    html = client.get(f"/people/{sam.pk}/").content.decode()
    assert f'href="/people/{sam.pk}/edit/"' in html
    assert f'action="/people/{sam.pk}/deactivate/"' in html


# --- Own profile, tokens, team, org units ---------------------------------------------------


def test_me_saves_own_profile_but_never_roles_email_or_flags(client, learner):
    client.force_login(learner)
    response = client.post(
        "/me/",
        {
            "display_name": "Lee L.",
            "job_title": "Student",
            "time_zone": "Asia/Tokyo",
            "languages": "ja, EN",
            "location": "Osaka",
            "email": "evil@example.org",
            "is_staff": "on",
            "roles": "program_manager",
        },
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.display_name, learner.time_zone, learner.languages) == (
        "Lee L.",
        "Asia/Tokyo",
        ["en", "ja"],
    )
    assert learner.email == "learner@example.org"
    assert learner.is_staff is False
    assert list(learner.role_assignments.values_list("role", flat=True)) == ["learner"]


def test_me_shows_field_errors(client, learner):
    client.force_login(learner)
    response = client.post(
        "/me/", {"display_name": "", "time_zone": "Mars/Base", "languages": "english!"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"display_name", "time_zone", "languages"}
    learner.refresh_from_db()
    assert learner.display_name == "Lee Learner"


def test_tokens_page_shows_a_new_key_once(client, learner):
    client.force_login(learner)
    response = client.post("/me/tokens/", {"name": "HR sync", "scope": "read"})
    key = response.context["new_key"]
    assert key.startswith("csc_")
    assert key in response.content.decode()
    again = client.get("/me/tokens/").content.decode()
    assert key not in again
    assert "HR sync" in again
    assert AccessToken.objects.get(person=learner).key_hash != key


def test_token_revoke_of_own_token(client, learner):
    token, key = services.token_create(person=learner, name="x")
    client.force_login(learner)
    response = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert services.token_authenticate(key) is None


def test_token_revoke_of_someone_elses_token_is_404(client, learner, make_person):
    other = make_person("learner")
    token, key = services.token_create(person=other, name="x")
    client.force_login(learner)
    response = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert services.token_authenticate(key) is not None
    assert AuditEntry.objects.filter(action="people.token.revoked").count() == 0


def test_team_lists_only_active_direct_reports(client, world):
    PersonFactory(display_name="Gone Report", manager=world["morgan"], is_active=False)
    PersonFactory(display_name="Someone Else")
    client.force_login(world["morgan"])
    response = client.get("/team/")
    assert [p.display_name for p in response.context["reports"]] == ["Sam Target"]


def test_org_units_page_adds_a_unit(client, world, program_manager):
    client.force_login(program_manager)
    response = client.post(
        "/org-units/", {"name": "Ward 9", "code": "ward-9", "parent": str(world["north"].pk)}
    )
    assert response.status_code == 302
    unit = OrgUnit.objects.get(code="ward-9")
    assert unit.path == f"{world['north'].path}{unit.pk}/"


def test_org_units_page_refuses_a_taken_code(client, world, program_manager):
    client.force_login(program_manager)
    response = client.post("/org-units/", {"name": "Again", "code": "north"})
    assert response.context["form"].errors == {"code": ["That code is taken."]}
    assert OrgUnit.objects.filter(code="north").count() == 1


def test_scoped_pm_adds_units_only_inside_their_own(client, world):
    client.force_login(_scoped_pm(world["north"]))
    assert client.post("/org-units/", {"name": "Top", "code": "top"}).status_code == 403
    response = client.post(
        "/org-units/", {"name": "Elsewhere", "code": "else", "parent": str(world["south"].pk)}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["parent"]
    assert not OrgUnit.objects.filter(code__in=["top", "else"]).exists()
    response = client.post(
        "/org-units/", {"name": "Inside", "code": "inside", "parent": str(world["ward"].pk)}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.filter(code="inside", parent=world["ward"]).exists()


def test_a_program_manager_scoped_to_some_units_cannot_read_the_audit_log(client, make_person):
    # given a program manager whose role covers one org unit only
    scoped = make_person(email="scoped-pm@example.org")
    RoleAssignment.objects.create(person=scoped, role="program_manager", org_unit=OrgUnitFactory())
    client.force_login(scoped)

    # when they open the organisation-wide audit log, then they are refused
    assert client.get("/audit/").status_code == 403
    # and the navigation does not offer it
    assert 'href="/audit/"' not in client.get("/").content.decode()
