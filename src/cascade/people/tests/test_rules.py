"""Who may see and manage whom: the people area's object rules."""

from __future__ import annotations

import pytest

from cascade.people import rules
from cascade.people.models import Person
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory, RoleAssignmentFactory


@pytest.fixture
def tree(db):
    """North > Ward; South (three units)."""
    north = OrgUnitFactory(name="North")
    ward = OrgUnitFactory(name="Ward", parent=north)
    south = OrgUnitFactory(name="South")
    return {"north": north, "ward": ward, "south": south}


def _scoped_pm(*units, **kwargs) -> Person:
    person = PersonFactory(**kwargs)
    for unit in units:
        RoleAssignmentFactory(person=person, role="program_manager", org_unit=unit)
    return person


# --- managed_unit_paths / people_scope_q ----------------------------------------------------


def test_managed_unit_paths_for_each_kind_of_viewer(tree, make_person):
    north, south = tree["north"], tree["south"]
    assert rules.managed_unit_paths(make_person("program_manager")) is None
    assert rules.managed_unit_paths(make_person(is_superuser=True)) is None
    assert sorted(rules.managed_unit_paths(_scoped_pm(north, south))) == sorted(
        [north.path, south.path]
    )
    assert rules.managed_unit_paths(make_person("trainer")) == []


def test_managed_unit_paths_with_one_unscoped_assignment_is_everything(tree):
    person = _scoped_pm(tree["north"])
    RoleAssignmentFactory(person=person, role="program_manager", org_unit=None)
    assert rules.managed_unit_paths(person) is None


def test_people_scope_q_filters_to_the_viewers_units(tree, make_person):
    # given people in each unit and one without a unit
    in_north = PersonFactory(org_unit=tree["north"])
    in_ward = PersonFactory(org_unit=tree["ward"])
    PersonFactory(org_unit=tree["south"])
    PersonFactory(org_unit=None)
    scoped = _scoped_pm(tree["north"])
    # when the scope filter of a program manager of North is applied
    q = rules.people_scope_q(scoped)
    # then North and the units below it are in, the rest out
    assert set(Person.objects.filter(q)) == {in_north, in_ward}


def test_people_scope_q_for_global_and_non_program_managers(tree, make_person):
    assert rules.people_scope_q(make_person("program_manager")) is None
    PersonFactory(org_unit=tree["north"])
    q = rules.people_scope_q(make_person("manager"))
    assert Person.objects.filter(q).count() == 0


# --- can_view_person ------------------------------------------------------------------------


def test_everyone_can_view_themselves(make_person):
    for role in ["learner", "trainer", "master_trainer", "manager", "program_manager"]:
        person = make_person(role)
        assert rules.can_view_person(person, person) is True


def test_inactive_viewer_can_view_nobody_not_even_themselves(make_person):
    person = make_person("program_manager", is_active=False)
    assert rules.can_view_person(person, person) is False
    assert rules.can_view_person(person, make_person("learner")) is False


def test_a_manager_views_their_reports_and_their_reports_reports(make_person):
    # given a chain: boss <- middle <- junior
    boss = make_person("manager")
    middle = make_person("manager", manager=boss)
    junior = make_person("learner", manager=middle)
    # then each manager sees everyone below them, but not upwards
    assert rules.can_view_person(boss, middle) is True
    assert rules.can_view_person(boss, junior) is True
    assert rules.can_view_person(middle, junior) is True
    assert rules.can_view_person(middle, boss) is False
    assert rules.can_view_person(junior, middle) is False


def test_a_manager_cannot_view_someone_elses_report(make_person):
    boss = make_person("manager")
    other_report = make_person("learner", manager=make_person("manager"))
    assert rules.can_view_person(boss, other_report) is False


def test_a_manager_loop_in_old_data_does_not_hang(make_person):
    # given a loop that bypassed the service (A -> B -> A) and an outsider
    a = make_person("learner")
    b = make_person("learner", manager=a)
    Person.objects.filter(pk=a.pk).update(manager=b)
    a.refresh_from_db()
    outsider = make_person("manager")
    # then the walk stops and answers no
    assert rules.can_view_person(outsider, a) is False


@pytest.mark.parametrize("role", ["learner", "trainer", "master_trainer", "manager"])
def test_other_roles_cannot_view_unrelated_people(tree, make_person, role):
    viewer = make_person(role, org_unit=tree["north"])
    colleague = make_person("learner", org_unit=tree["north"])
    assert rules.can_view_person(viewer, colleague) is False


def test_global_program_manager_views_everyone(tree, make_person):
    pm = make_person("program_manager")
    assert rules.can_view_person(pm, make_person("learner", org_unit=tree["south"])) is True
    assert rules.can_view_person(pm, make_person("learner", org_unit=None)) is True


def test_scoped_program_manager_views_only_their_units(tree, make_person):
    scoped = _scoped_pm(tree["north"])
    assert rules.can_view_person(scoped, make_person("learner", org_unit=tree["north"])) is True
    assert rules.can_view_person(scoped, make_person("learner", org_unit=tree["ward"])) is True
    assert rules.can_view_person(scoped, make_person("learner", org_unit=tree["south"])) is False
    assert rules.can_view_person(scoped, make_person("learner", org_unit=None)) is False


def test_scoped_program_manager_of_a_sub_unit_does_not_view_the_parent_unit(tree, make_person):
    scoped = _scoped_pm(tree["ward"])
    assert rules.can_view_person(scoped, make_person("learner", org_unit=tree["north"])) is False


def test_superuser_views_everyone(tree, make_person):
    admin = make_person(is_superuser=True)
    assert rules.can_view_person(admin, make_person("learner", org_unit=tree["south"])) is True


# --- can_manage_person ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["learner", "trainer", "master_trainer", "manager"])
def test_only_program_managers_manage_people(tree, make_person, role):
    viewer = make_person(role)
    report = make_person("learner", manager=viewer, org_unit=tree["north"])
    assert rules.can_manage_person(viewer, report) is False


def test_global_program_manager_manages_everyone(tree, make_person):
    pm = make_person("program_manager")
    assert rules.can_manage_person(pm, make_person("learner", org_unit=None)) is True
    assert rules.can_manage_person(pm, make_person("program_manager")) is True


def test_inactive_program_manager_manages_nobody(tree, make_person):
    pm = make_person("program_manager", is_active=False)
    assert rules.can_manage_person(pm, make_person("learner")) is False


def test_scoped_program_manager_manages_people_in_their_units_only(tree, make_person):
    scoped = _scoped_pm(tree["north"])
    assert rules.can_manage_person(scoped, make_person("learner", org_unit=tree["ward"])) is True
    assert rules.can_manage_person(scoped, make_person("learner", org_unit=tree["south"])) is False
    assert rules.can_manage_person(scoped, make_person("learner", org_unit=None)) is False


def test_scoped_program_manager_does_not_manage_a_wider_program_manager(tree, make_person):
    # given a program manager of North, and an organisation-wide one who sits in North
    scoped = _scoped_pm(tree["north"])
    wide = make_person("program_manager", org_unit=tree["north"])
    other_unit_pm = _scoped_pm(tree["south"], org_unit=tree["ward"])
    # then the scoped one may see but not manage them
    assert rules.can_view_person(scoped, wide) is True
    assert rules.can_manage_person(scoped, wide) is False
    assert rules.can_manage_person(scoped, other_unit_pm) is False


def test_scoped_program_manager_manages_a_program_manager_of_a_sub_unit(tree, make_person):
    scoped = _scoped_pm(tree["north"])
    junior_pm = _scoped_pm(tree["ward"], org_unit=tree["ward"])
    assert rules.can_manage_person(scoped, junior_pm) is True


# --- can_manage_unit ------------------------------------------------------------------------


def test_can_manage_unit(tree, make_person):
    pm = make_person("program_manager")
    scoped = _scoped_pm(tree["north"])
    assert rules.can_manage_unit(pm, None) is True
    assert rules.can_manage_unit(pm, tree["south"]) is True
    assert rules.can_manage_unit(scoped, tree["ward"]) is True
    assert rules.can_manage_unit(scoped, tree["south"]) is False
    assert rules.can_manage_unit(scoped, None) is False
    assert rules.can_manage_unit(make_person("trainer"), tree["north"]) is False
