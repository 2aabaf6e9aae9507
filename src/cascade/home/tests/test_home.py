"""The home page per role, its navigation, and its query budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry, Notification, NotificationKind
from cascade.home.navigation import nav_for
from cascade.people.models import Person
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory, RoleAssignmentFactory

SECTIONS = {
    "program_manager": "Program management",
    "master_trainer": "Coaching and observation",
    "trainer": "Your trainer development",
    "learner": "Your learning",
    "manager": "Your team",
}


def _nav(html: str) -> list[str]:
    import re

    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', nav)


@pytest.mark.parametrize("role", list(SECTIONS))
def test_each_role_sees_only_its_own_sections(client, make_person, role):
    person = make_person(role, display_name="Robin Example")
    client.force_login(person)
    html = client.get("/").content.decode()
    assert "Welcome, Robin" in html
    for other, heading in SECTIONS.items():
        assert (f">{heading}</h2>" in html) is (other == role), other


def test_person_without_roles_is_told_so(client, make_person):
    client.force_login(make_person())
    html = client.get("/").content.decode()
    assert "You have no role yet. A program manager will give you one." in html


def test_superuser_sees_every_section(client, make_person):
    client.force_login(make_person(is_superuser=True))
    html = client.get("/").content.decode()
    for heading in SECTIONS.values():
        assert f">{heading}</h2>" in html


NAV = {
    "learner": ["Home", "My learning", "Sessions"],
    "trainer": ["Home", "My learning", "Sessions", "Courses", "Certification", "Availability"],
    "master_trainer": [
        "Home",
        "Programs",
        "Cohorts",
        "Sessions",
        "Courses",
        "Certification",
        "Availability",
        "To review",
    ],
    "manager": ["Home", "Sessions", "To review", "My team"],
    "program_manager": [
        "Home",
        "Programs",
        "Cohorts",
        "Sessions",
        "Courses",
        "Certification",
        "Pool",
        "People",
    ],
}


@pytest.mark.parametrize("role", list(NAV))
def test_navigation_shows_each_role_its_areas(client, make_person, role):
    client.force_login(make_person(role))
    assert _nav(client.get("/").content.decode()) == NAV[role]


def test_navigation_marks_the_current_area(make_person):
    pm = make_person("program_manager")
    items = {i.label: i.active for i in nav_for(pm, "/people/12/edit/")}
    assert items == {
        "Home": False,
        "Programs": False,
        "Cohorts": False,
        "Sessions": False,
        "Courses": False,
        "Certification": False,
        "Pool": False,
        "People": True,
    }
    assert {i.label: i.active for i in nav_for(pm, "/org-units/")}["People"] is True
    assert {i.label: i.active for i in nav_for(pm, "/")}["Home"] is True


def test_program_manager_sees_counts_of_their_people(client, make_person):
    # given people in the organisation: signed in, invited, never invited, deactivated
    pm = make_person("program_manager")
    Person.objects.filter(pk=pm.pk).update(last_login=datetime(2025, 1, 1, tzinfo=UTC))
    PersonFactory(last_login=datetime(2025, 1, 1, tzinfo=UTC))
    PersonFactory(invited_at=datetime(2025, 1, 1, tzinfo=UTC))
    PersonFactory()
    PersonFactory(is_active=False)
    client.force_login(pm)
    # when the program manager opens home
    pm_data = client.get("/").context["data"].pm
    # then the counts are of active people
    assert pm_data["people"] == 4
    assert pm_data["invited_pending"] == 1
    assert pm_data["never_signed_in"] == 2


def test_scoped_program_manager_counts_only_their_units(client, make_person):
    north, south = OrgUnitFactory(), OrgUnitFactory()
    scoped = make_person(org_unit=north)
    RoleAssignmentFactory(person=scoped, role="program_manager", org_unit=north)
    PersonFactory(org_unit=north)
    PersonFactory(org_unit=south)
    PersonFactory(org_unit=None)
    client.force_login(scoped)
    assert client.get("/").context["data"].pm["people"] == 2


def test_program_manager_sees_recent_changes(client, program_manager):
    AuditEntry.objects.create(
        actor=program_manager,
        action="people.person.created",
        target_type="people.person",
        target_id="9",
        target_repr="Sam Target",
    )
    client.force_login(program_manager)
    html = client.get("/").content.decode()
    assert "Pat Manager · people.person.created · Sam Target" in html
    assert 'href="/audit/"' in html


def test_manager_sees_active_reports(client, make_person):
    boss = make_person("manager")
    PersonFactory(manager=boss, display_name="Ada Report", job_title="Nurse")
    PersonFactory(manager=boss, display_name="Gone Report", is_active=False)
    PersonFactory(display_name="Not Mine")
    client.force_login(boss)
    response = client.get("/")
    assert [p.display_name for p in response.context["data"].reports] == ["Ada Report"]
    assert "See your whole team" in response.content.decode()


def test_new_for_you_lists_the_five_newest_unread(client, learner):
    for i in range(7):
        Notification.objects.create(recipient=learner, kind=NotificationKind.GENERAL, title=f"N{i}")
    Notification.objects.create(
        recipient=learner,
        kind=NotificationKind.GENERAL,
        title="Already read",
        read_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    client.force_login(learner)
    response = client.get("/")
    assert [n.title for n in response.context["data"].notifications] == [
        "N6",
        "N5",
        "N4",
        "N3",
        "N2",
    ]
    assert "Already read" not in response.content.decode()


def _home_queries(client, viewer: Person, n: int) -> int:
    Person.objects.exclude(pk=viewer.pk).delete()
    AuditEntry.objects.all().delete()
    Notification.objects.all().delete()
    for i in range(n):
        person = PersonFactory(manager=viewer, display_name=f"Report {i:03}")
        AuditEntry.objects.create(
            actor=person,
            action="people.person.created",
            target_type="people.person",
            target_id=str(person.pk),
            target_repr=str(person),
        )
        Notification.objects.create(recipient=viewer, kind=NotificationKind.GENERAL, title="Hi")
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("roles", [["program_manager", "manager"], ["learner"]])
def test_home_query_count_does_not_grow_with_data(
    client, make_person, roles, django_assert_max_num_queries
):
    # given a person whose home shows people, reports, changes and notifications: 5, then 60
    viewer = make_person(*roles)
    few = _home_queries(client, viewer, 5)
    many = _home_queries(client, viewer, 60)
    # then the page costs the same number of queries
    assert few == many
    with django_assert_max_num_queries(13):
        client.get("/")
