"""From the database to the optimiser: who is in the pool (active certifications only), when
they can work (availability minus sessions they already staff), and a plan on real rows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from cascade.certification.services import awards as award_services
from cascade.delivery.models import SessionStaff
from cascade.delivery.tests.factories import make_course, make_session
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory
from cascade.pool import services
from cascade.pool.planning import solver
from cascade.pool.planning.types import LEAD, Assignment
from cascade.pool.planning_input import build_problem

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)


def _trainer(pm, course, level="certified", rate=5000, **kw):
    person = PersonFactory(roles=[Role.TRAINER], time_zone="UTC", **kw)
    award_services.certification_award(
        person=person,
        course=course,
        level=level,
        actor=pm,
        reason="test",
        now=MONDAY - timedelta(days=30),
    )
    services.weekly_hours_set(
        person=person, actor=person, hours=[(d, time(8), time(18)) for d in range(5)]
    )
    services.profile_save(person=person, actor=pm, rate_cents=rate, max_hours_per_month=40)
    return person


def test_the_pool_and_its_time_come_from_the_database_and_a_plan_follows():
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    course = make_course(title="Safe handling")
    cheap = _trainer(pm, course, rate=3000, display_name="Cheap")
    dear = _trainer(pm, course, rate=9000, display_name="Dear")
    suspended = _trainer(pm, course, rate=1000, display_name="Suspended")
    award_services.certification_suspend(
        certification=suspended.certifications.get(), actor=pm, reason="review"
    )
    start = MONDAY + timedelta(hours=9)
    session = make_session(pm, course=course, starts_at=start, hours=3, title="Ward 7")
    # The cheap trainer already staffs another session at that time.
    other = make_session(
        pm, course=course, starts_at=start + timedelta(hours=1), hours=2, title="Other"
    )
    SessionStaff.objects.create(session=other, person=cheap, role="lead")

    problem, names = build_problem([session], start=MONDAY, end=MONDAY + timedelta(days=7))

    assert {t.id for t in problem.trainers} == {cheap.pk, dear.pk}
    (item,) = problem.sessions
    assert (item.slots[0].start, item.slots[0].end) == (9 * 60, 12 * 60)
    assert item.course_name == "Safe handling"
    assert names.sessions[session.pk] == "Ward 7"
    plan = solver.optimise(problem, time_limit=10)
    assert plan.assignments == [Assignment(session.pk, LEAD, dear.pk)]
    cheap_in = next(t for t in problem.trainers if t.id == cheap.pk)
    assert all(not (w.start < 12 * 60 and w.end > 9 * 60) for w in cheap_in.available)


def test_candidates_carry_the_co_deliveries_their_next_level_needs():
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    course = make_course()
    candidate = _trainer(pm, course, level="co_facilitator")
    session = make_session(pm, course=course, starts_at=MONDAY + timedelta(hours=9))
    problem, _names = build_problem([session], start=MONDAY, end=MONDAY + timedelta(days=7))
    (trainer,) = problem.trainers
    assert trainer.id == candidate.pk
    assert trainer.co_deliveries_needed == {course.pk: 2}  # the default ladder asks for two
