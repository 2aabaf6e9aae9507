"""Who may manage programs, run cohorts, review work and see progress; and the fetch-and-
authorise helpers that answer 404 to everyone else."""

from __future__ import annotations

import pytest
from django.http import Http404

from cascade.learning import access, rules
from cascade.learning.models import Audience, Program
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import progress as progress_svc
from cascade.learning.services import quizzes
from cascade.learning.tests.factories import (
    build_path,
    build_program,
    enrol,
    open_cohort,
    scoped_program_manager,
)
from cascade.people.tests.factories import OrgUnitFactory


@pytest.fixture
def units(db):
    region = OrgUnitFactory(name="North")
    return {
        "region": region,
        "site": OrgUnitFactory(name="North site", parent=region),
        "south": OrgUnitFactory(name="South"),
    }


@pytest.fixture
def pm(make_person):
    return make_person("program_manager")


def program_in(unit, pm, slug, audience=Audience.TRAINERS, creator=None) -> Program:
    program, _steps = build_path(
        pm, [{"kind": "lesson"}], slug=slug, audience=audience, org_unit=unit
    )
    if creator is not None:
        Program.objects.filter(pk=program.pk).update(created_by=creator)
        program.refresh_from_db()
    return program


# --- can_manage_program ---------------------------------------------------------------------


def test_a_global_program_manager_manages_every_program(units, pm):
    programs = [
        program_in(units["site"], pm, "a"),
        program_in(None, pm, "b"),
        program_in(units["south"], pm, "c"),
    ]
    assert [rules.can_manage_program(pm, p) for p in programs] == [True, True, True]
    assert set(rules.programs_manageable(pm)) == set(programs)


def test_a_scoped_program_manager_manages_programs_in_their_units_only(units, pm):
    scoped = scoped_program_manager(units["region"])
    in_region = program_in(units["region"], pm, "region")
    in_site = program_in(units["site"], pm, "site")
    in_south = program_in(units["south"], pm, "south")
    unowned = program_in(None, pm, "unowned")

    assert [
        rules.can_manage_program(scoped, p) for p in (in_region, in_site, in_south, unowned)
    ] == [
        True,
        True,
        False,
        False,
    ]
    assert set(rules.programs_manageable(scoped)) == {in_region, in_site}


def test_a_program_manager_scoped_to_a_sub_unit_does_not_manage_the_parent(units, pm):
    scoped = scoped_program_manager(units["site"])
    assert rules.can_manage_program(scoped, program_in(units["region"], pm, "region")) is False


@pytest.mark.parametrize("role", ["trainer", "master_trainer"])
def test_a_trainer_manages_the_learner_paths_they_created_only(make_person, pm, role):
    trainer = make_person(role)
    own_learners = program_in(None, pm, "own-l", Audience.LEARNERS, creator=trainer)
    own_trainers = program_in(None, pm, "own-t", Audience.TRAINERS, creator=trainer)
    others_learners = program_in(None, pm, "other-l", Audience.LEARNERS, creator=pm)

    assert [
        rules.can_manage_program(trainer, p) for p in (own_learners, own_trainers, others_learners)
    ] == [
        True,
        False,
        False,
    ]
    assert list(rules.programs_manageable(trainer)) == [own_learners]


def test_a_learner_who_created_a_learner_path_cannot_manage_it(make_person, pm):
    learner = make_person("learner")
    program = program_in(None, pm, "l", Audience.LEARNERS, creator=learner)
    assert rules.can_manage_program(learner, program) is False
    assert list(rules.programs_manageable(learner)) == []


def test_an_inactive_program_manager_manages_nothing(make_person, pm):
    gone = make_person("program_manager", is_active=False)
    assert rules.can_manage_program(gone, program_in(None, pm, "x")) is False


def test_who_may_create_programs(make_person):
    assert [
        rules.can_create_program(make_person(role))
        for role in ("program_manager", "master_trainer", "trainer", "learner", "manager")
    ] == [True, True, True, False, False]


# --- can_run_cohort -------------------------------------------------------------------------


def test_can_run_cohort(make_person, pm, units):
    master, other_master = make_person("master_trainer"), make_person("master_trainer")
    scoped_out = scoped_program_manager(units["south"])
    program = program_in(units["site"], pm, "p")
    cohort = open_cohort(program, pm, masters=[master])
    other_cohort = open_cohort(program, pm, masters=[other_master])

    assert rules.can_run_cohort(master, cohort) is True
    assert rules.can_run_cohort(other_master, cohort) is False
    assert rules.can_run_cohort(pm, cohort) is True
    assert rules.can_run_cohort(scoped_program_manager(units["region"]), cohort) is True
    assert rules.can_run_cohort(scoped_out, cohort) is False
    assert rules.can_run_cohort(make_person("trainer"), cohort) is False
    assert list(rules.cohorts_visible(master)) == [cohort]
    assert list(rules.cohorts_visible(scoped_out)) == []
    assert set(rules.cohorts_visible(pm)) == {cohort, other_cohort}


def test_an_inactive_master_no_longer_runs_their_cohort(make_person, pm):
    master = make_person("master_trainer", is_active=False)
    cohort = open_cohort(program_in(None, pm, "p"), pm, masters=[master])
    assert rules.can_run_cohort(master, cohort) is False


# --- can_review / can_view_enrolment --------------------------------------------------------


@pytest.fixture
def world(make_person, pm):
    """A candidate with a mentor and a line manager, enrolled in a cohort with a master."""
    boss = make_person("manager")
    candidate = make_person("trainer", manager=boss)
    peer = make_person("trainer")
    master, other_master, mentor = (
        make_person("master_trainer"),
        make_person("master_trainer"),
        make_person("trainer"),
    )
    program, steps = build_program(pm)
    cohort = open_cohort(program, pm, masters=[master])
    open_cohort(program, pm, masters=[other_master])
    enrolment = enrol(cohort, candidate, pm)
    peer_enrolment = enrol(cohort, peer, pm)
    cohort_svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    enrolment.refresh_from_db()
    progress = progress_svc.lesson_complete(enrolment=enrolment, step=steps["lesson"])
    return {
        "pm": pm,
        "boss": boss,
        "candidate": candidate,
        "peer": peer,
        "master": master,
        "other_master": other_master,
        "mentor": mentor,
        "stranger": make_person("learner"),
        "enrolment": enrolment,
        "peer_enrolment": peer_enrolment,
        "progress": progress,
        "steps": steps,
        "cohort": cohort,
    }


REVIEWERS = {"pm": True, "boss": True, "master": True, "mentor": True}
NOT_REVIEWERS = {"candidate": False, "peer": False, "other_master": False, "stranger": False}


@pytest.mark.parametrize(("who", "allowed"), [*REVIEWERS.items(), *NOT_REVIEWERS.items()])
def test_can_review(world, who, allowed):
    assert rules.can_review(world[who], world["progress"]) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"), [*REVIEWERS.items(), ("candidate", True), *list(NOT_REVIEWERS.items())[1:]]
)
def test_can_view_enrolment(world, who, allowed):
    assert rules.can_view_enrolment(world[who], world["enrolment"]) is allowed


def test_a_program_manager_cannot_review_their_own_work(world, make_person):
    pm_candidate = make_person("program_manager")
    enrolment = enrol(world["cohort"], pm_candidate, world["pm"])
    progress = progress_svc.lesson_complete(enrolment=enrolment, step=world["steps"]["lesson"])
    assert rules.can_review(pm_candidate, progress) is False


@pytest.mark.parametrize("who", ["mentor", "boss"])
def test_an_inactive_mentor_or_manager_can_no_longer_review(world, who):
    person = world[who]
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert rules.can_review(person, world["progress"]) is False
    assert rules.can_view_enrolment(person, world["enrolment"]) is False


# --- access helpers -------------------------------------------------------------------------


def test_program_to_manage(world):
    program = world["cohort"].program
    assert access.program_to_manage(world["pm"], program.pk) == program
    for who in ("master", "candidate", "stranger"):
        with pytest.raises(Http404):
            access.program_to_manage(world[who], program.pk)
    with pytest.raises(Http404):
        access.program_to_manage(world["pm"], 999_999)


def test_cohort_to_run(world):
    cohort = world["cohort"]
    assert access.cohort_to_run(world["master"], cohort.pk) == cohort
    for who in ("other_master", "candidate", "mentor"):
        with pytest.raises(Http404):
            access.cohort_to_run(world[who], cohort.pk)


def test_own_enrolment_is_only_ever_ones_own(world):
    cohort = world["cohort"]
    assert access.own_enrolment(world["candidate"], cohort.pk) == world["enrolment"]
    for who in ("master", "stranger", "mentor"):
        with pytest.raises(Http404):
            access.own_enrolment(world[who], cohort.pk)
    cohort_svc.enrolment_withdraw(enrolment=world["enrolment"], actor=world["pm"])
    with pytest.raises(Http404):
        access.own_enrolment(world["candidate"], cohort.pk)


def test_step_of_refuses_steps_outside_the_enrolment_version(world, pm):
    enrolment = world["enrolment"]
    lesson = world["steps"]["lesson"]
    assert access.step_of(enrolment, lesson.pk) == lesson
    _other, (foreign,) = build_path(pm, [{"kind": "lesson"}], slug="foreign")
    with pytest.raises(Http404):
        access.step_of(enrolment, foreign.pk)


def test_own_attempt_is_only_ever_ones_own(world):
    attempt = quizzes.attempt_start(enrolment=world["enrolment"], step=world["steps"]["quiz"])
    assert access.own_attempt(world["candidate"], attempt.pk) == attempt
    for who in ("peer", "master", "pm", "mentor"):
        with pytest.raises(Http404):
            access.own_attempt(world[who], attempt.pk)


@pytest.mark.parametrize("who", ["candidate", "peer", "other_master", "stranger"])
def test_progress_to_review_is_404_for_non_reviewers(world, who):
    with pytest.raises(Http404):
        access.progress_to_review(world[who], world["progress"].pk)


@pytest.mark.parametrize("who", ["pm", "boss", "master", "mentor"])
def test_progress_to_review_for_reviewers(world, who):
    assert access.progress_to_review(world[who], world["progress"].pk) == world["progress"]


def test_progress_visible_to_its_owner_and_reviewers_only(world):
    progress = world["progress"]
    for who in ("candidate", "mentor", "boss", "master", "pm"):
        assert access.progress_visible(world[who], progress.pk) == progress
    for who in ("peer", "other_master", "stranger"):
        with pytest.raises(Http404):
            access.progress_visible(world[who], progress.pk)
    with pytest.raises(Http404):
        access.progress_visible(world["candidate"], 999_999)
