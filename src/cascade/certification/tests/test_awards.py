"""The ladder as data, awards, renewal, reminders and lapse: history kept, nothing overwritten."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from cascade.certification import ladder
from cascade.certification.models import (
    Certification,
    CertificationStatus,
    Competency,
    DevelopmentActivity,
    LadderRule,
    Observation,
)
from cascade.certification.selectors import awards as selectors
from cascade.certification.services import awards as services
from cascade.certification.tests.factories import calibrate, teach_back_rubric
from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.models import Notification
from cascade.delivery.models import SessionStaff
from cascade.delivery.tests.factories import in_days, make_course, make_session
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def pm() -> Any:
    return PersonFactory(roles=[Role.PROGRAM_MANAGER])


@pytest.fixture
def trainer() -> Any:
    return PersonFactory(roles=[Role.TRAINER])


@pytest.fixture
def course() -> Any:
    return make_course()


# --- The pure ladder -----------------------------------------------------------------------


def test_rules_are_validated_as_data():
    assert ladder.validate_requirements({"co_deliveries": 2, "holds": "certified"})
    with pytest.raises(ladder.RuleError) as err:
        ladder.validate_requirements(
            {"co_deliveries": -1, "holds": "guru", "competencies": {"C01": 5}, "colour": 1}
        )
    assert set(err.value.errors) == {"co_deliveries", "holds", "competencies", "colour"}
    with pytest.raises(ladder.RuleError):
        ladder.validate_requirements({"co_deliveries": 1}, renewal=True)


def test_evaluate_says_what_is_met_and_what_is_missing():
    rules = ladder.DEFAULT_RULES["certified"]["requirements"]
    evidence = ladder.Evidence(
        held_levels=frozenset({"co_facilitator"}),
        co_deliveries=2,
        solo_observed=0,
        competencies={f"C{n:02d}": 2 for n in range(1, 10)},
    )
    verdict = ladder.evaluate(rules, evidence)
    assert not verdict.met
    assert [line.key for line in verdict.missing] == ["solo_observed", "competency:C10"]
    solo = next(line for line in verdict.lines if line.key == "solo_observed")
    assert (solo.needed, solo.have) == ("1 delivery", "0 deliveries")


def test_feedback_is_never_silently_passed_before_it_is_measured():
    verdict = ladder.evaluate({"min_feedback": 4.0}, ladder.Evidence())
    assert verdict.lines[0].have == "not measured yet"
    assert not verdict.met


def test_next_level_climbs_one_rung_at_a_time():
    assert ladder.next_level(frozenset()) == "co_facilitator"
    assert ladder.next_level(frozenset({"co_facilitator"})) == "certified"
    assert ladder.next_level(frozenset({"master"})) is None


def test_add_months_clamps_to_the_end_of_the_month():
    assert services.add_months(datetime(2026, 1, 31, tzinfo=UTC), 1).day == 28
    assert services.add_months(T0, 24) == T0.replace(year=2028)


# --- Evidence from the data ----------------------------------------------------------------


def _deliver(person: Any, course: Any, role: str, pm: Any, days_ago: int = 10) -> None:
    session = make_session(pm, course=course, starts_at=in_days(-days_ago))
    SessionStaff.objects.create(session=session, person=person, role=role)


def test_co_deliveries_and_competencies_come_from_real_records(trainer, course, pm):
    services.certification_award(
        person=trainer, course=course, level="co_facilitator", actor=pm, reason="ToT"
    )
    _deliver(trainer, course, "co_facilitator", pm)
    _deliver(trainer, course, "co_facilitator", pm, days_ago=20)
    _deliver(trainer, make_course(), "co_facilitator", pm)  # another course: not counted
    rubric = teach_back_rubric()
    Observation.objects.create(
        candidate=trainer,
        course=course,
        kind="solo_delivery",
        title="Solo",
        rubric=rubric,
        status="decided",
        passed=True,
        decided_at=T0,
        combined_levels={f"R{n}": 3 for n in range(1, 11)},
    )
    evidence = selectors.evidence_for(trainer, course.pk)
    assert evidence.co_deliveries == 2
    assert evidence.solo_observed == 1
    # R-criteria map to C01-C10 in the default rubric; all were at 3.
    assert {evidence.competencies[f"C{n:02d}"] for n in range(1, 11)} == {3}
    state = selectors.ladder_state(trainer, course.pk)
    assert state.next_level == "certified"
    assert state.verdict is not None
    assert state.verdict.met
    awarded = services.ladder_advance(person=trainer, course=course)
    assert [c.level for c in awarded] == ["certified"]
    # The co-facilitator level is superseded, not deleted.
    assert list(
        Certification.objects.filter(person=trainer).order_by("id").values_list("level", "status")
    ) == [("co_facilitator", "superseded"), ("certified", "active")]


def test_a_masters_rating_is_evidence_for_a_competency(trainer, pm):
    rubric = teach_back_rubric()
    c12 = Competency.objects.get(framework=rubric.framework, code="C12")
    master = PersonFactory(roles=[Role.MASTER_TRAINER])
    services.competency_rate(
        person=trainer, competency=c12, level=3, note="Ran the L1 review", actor=master
    )
    assert selectors.competency_levels(trainer.pk)["C12"] == 3
    with pytest.raises(Forbidden):
        services.competency_rate(person=master, competency=c12, level=4, note="", actor=trainer)


def test_master_level_needs_calibration(trainer, course, pm):
    services.certification_award(
        person=trainer, course=course, level="certified", actor=pm, reason="x"
    )
    for days in (10, 20, 30):
        _deliver(trainer, course, "lead", pm, days_ago=days)
    rubric = teach_back_rubric()
    for code in ("C12", "C13"):
        services.competency_rate(
            person=trainer,
            competency=Competency.objects.get(framework=rubric.framework, code=code),
            level=3,
            note="",
            actor=PersonFactory(roles=[Role.MASTER_TRAINER]),
        )
    state = selectors.ladder_state(trainer, course.pk)
    assert [line.key for line in state.verdict.missing] == ["calibrated"]
    calibrate(trainer)
    assert selectors.ladder_state(trainer, course.pk).verdict.met


def test_course_rules_override_the_default(trainer, course, pm):
    services.ladder_rule_save(
        course=course,
        level="co_facilitator",
        requirements={"teach_backs_passed": 2},
        valid_months=6,
        renewal={},
        actor=pm,
    )
    rules = selectors.ladder_rules(course.pk)
    assert rules["co_facilitator"].requirements == {"teach_backs_passed": 2}
    assert selectors.ladder_rules(make_course().pk)["co_facilitator"].valid_months == 12
    with pytest.raises(ApplicationError) as err:
        services.ladder_rule_save(
            course=course,
            level="certified",
            requirements={"x": 1},
            valid_months=6,
            renewal={},
            actor=pm,
        )
    assert err.value.extra["errors"] == {"x": "is not a known requirement"}
    with pytest.raises(Forbidden):
        services.ladder_rule_save(
            course=course,
            level="certified",
            requirements={},
            valid_months=6,
            renewal={},
            actor=trainer,
        )
    assert LadderRule.objects.count() == 1


# --- Awards --------------------------------------------------------------------------------


def test_manual_award_needs_a_reason_and_a_program_manager(trainer, course, pm):
    with pytest.raises(ApplicationError) as err:
        services.certification_award(person=trainer, course=course, level="certified", actor=pm)
    assert err.value.code == "reason_required"
    with pytest.raises(Forbidden):
        services.certification_award(
            person=trainer, course=course, level="certified", actor=trainer, reason="me"
        )
    assert not Certification.objects.exists()


def test_an_award_lasts_the_rules_months_and_cannot_be_doubled(trainer, course, pm):
    with time_machine.travel(T0, tick=False):
        cert = services.certification_award(
            person=trainer, course=course, level="certified", actor=pm, reason="Transfer"
        )
        assert cert.expires_at == T0.replace(year=2028)
        assert cert.status_index == 0
        with pytest.raises(ApplicationError) as err:
            services.certification_award(
                person=trainer, course=course, level="co_facilitator", actor=pm, reason="x"
            )
        assert err.value.code == "already_held"
        master = services.certification_award(
            person=trainer, course=course, level="master", actor=pm, reason="Promoted"
        )
        assert master.expires_at == T0.replace(year=2027)
        assert master.status_index == 1


# --- Expiry, reminders, renewal ------------------------------------------------------------


def test_reminders_at_90_30_and_7_days_each_once_then_lapse(trainer, course, pm):
    with time_machine.travel(T0, tick=False):
        cert = services.certification_award(
            person=trainer, course=course, level="certified", actor=pm, reason="x"
        )
    expiry = cert.expires_at
    sent: list[int] = []
    for days_before, expected in ((120, 0), (89, 1), (80, 0), (29, 1), (6, 1), (5, 0)):
        with time_machine.travel(expiry - timedelta(days=days_before), tick=False):
            counts = services.certifications_sweep()
            sent.append(counts["reminded"])
            assert counts["reminded"] == expected, days_before
    titles = list(
        Notification.objects.filter(recipient=trainer, title__contains="expires").values_list(
            "title", flat=True
        )
    )
    assert len(titles) == 3
    assert "To renew: Sessions delivered in the period: 0 sessions of 2 sessions" in (
        Notification.objects.filter(recipient=trainer, title__contains="expires").first().body
    )
    with time_machine.travel(expiry + timedelta(hours=1), tick=False):
        assert services.certifications_sweep()["lapsed"] == 1
        assert services.certifications_sweep()["lapsed"] == 0
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.LAPSED
    assert list(cert.events.values_list("action", flat=True)) == [
        "awarded",
        "reminded",
        "reminded",
        "reminded",
        "lapsed",
    ]
    # Lapsed people leave the active pool.
    assert not selectors.active_certifications(trainer.pk, course.pk).exists()


def test_renewal_from_evidence_keeps_the_remaining_time(trainer, course, pm):
    with time_machine.travel(T0, tick=False):
        cert = services.certification_award(
            person=trainer, course=course, level="certified", actor=pm, reason="x"
        )
    with time_machine.travel(cert.expires_at - timedelta(days=60), tick=False):
        with pytest.raises(ApplicationError) as err:
            services.certification_renew(certification=cert, actor=None)
        assert err.value.code == "renewal_not_met"
        _deliver(trainer, course, "lead", pm, days_ago=30)
        _deliver(trainer, course, "co_facilitator", pm, days_ago=40)
        DevelopmentActivity.objects.create(
            person=trainer, title="CPD", hours=6, done_on=T0.date() + timedelta(days=400)
        )
        Observation.objects.create(
            candidate=trainer,
            course=course,
            kind="re_observation",
            title="Re-observed",
            rubric=teach_back_rubric(),
            status="decided",
            passed=True,
            decided_at=cert.expires_at - timedelta(days=61),
        )
        counts = services.certifications_sweep()
        assert counts["renewed"] == 1
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.SUPERSEDED
    new = Certification.objects.get(renewal_of=cert)
    assert new.status == CertificationStatus.ACTIVE
    assert new.expires_at == services.add_months(cert.expires_at, 24)
    assert new.evidence["deliveries"]["met"] is True


def test_the_sweep_command_prints_what_it_did(trainer, course, pm):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(T0, tick=False):
        services.certification_award(
            person=trainer, course=course, level="co_facilitator", actor=pm, reason="x"
        )
    out = StringIO()
    with time_machine.travel(T0.replace(year=2027, month=2), tick=False):
        call_command("certifications", stdout=out)
    assert json.loads(out.getvalue()) == {"renewed": 0, "lapsed": 1, "reminded": 0}


def test_ladder_rule_save_refuses_bad_values_before_writing(course, pm):
    from cascade.people.tests.factories import OrgUnitFactory, RoleAssignmentFactory

    for kwargs, key in (
        ({"valid_months": 0}, "valid_months"),
        ({"valid_months": -3}, "valid_months"),
        ({"requirements": {}}, "requirements"),
        ({"level": "guru"}, "level"),
        ({"requirements": {"min_feedback": 6}}, "min_feedback"),
        ({"renewal": {"deliveries": -1}}, "renewal.deliveries"),
    ):
        args = {
            "course": course,
            "level": "certified",
            "requirements": {"co_deliveries": 2},
            "valid_months": 24,
            "renewal": {},
            "actor": pm,
            **kwargs,
        }
        with pytest.raises(ApplicationError) as err:
            services.ladder_rule_save(**args)
        assert err.value.code == "bad_rule"
        assert key in err.value.extra["errors"]
    assert not LadderRule.objects.exists()
    # A program manager of some units changes a course's ladder, never the default.
    scoped = RoleAssignmentFactory(role=Role.PROGRAM_MANAGER, org_unit=OrgUnitFactory()).person
    with pytest.raises(Forbidden):
        services.ladder_rule_save(
            course=None,
            level="certified",
            requirements={"co_deliveries": 3},
            valid_months=24,
            renewal={},
            actor=scoped,
        )
    assert not LadderRule.objects.exists()
