"""Teach-back observation: attempts, blind scoring, combining, moderation, the decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cascade.certification.models import (
    Certification,
    ObservationStatus,
    ScoreSheet,
)
from cascade.certification.selectors import observations as obs_selectors
from cascade.certification.services import observations as obs_services
from cascade.certification.tests.factories import (
    levels,
    master,
    score,
    submit_teach_back,
)
from cascade.core.errors import ApplicationError, Forbidden
from cascade.delivery.tests.factories import make_course
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate():
    return PersonFactory(roles=[Role.TRAINER])


@pytest.fixture
def course():
    return make_course()


def test_a_recorded_teach_back_needs_a_recording(candidate, course):
    with pytest.raises(ApplicationError) as err:
        submit_teach_back(candidate, course, recording_url="")
    assert err.value.code == "recording_missing"


def test_an_upload_that_is_not_a_video_is_refused_and_nothing_is_saved(candidate, course):
    fake = SimpleUploadedFile("talk.mp4", b"<html>not a video</html>", content_type="video/mp4")
    with pytest.raises(ApplicationError) as err:
        submit_teach_back(candidate, course, recording_url="", recording=fake)
    assert err.value.code == "upload_content"
    assert not candidate.observations.exists()


def test_self_assessment_is_kept_and_checked(candidate, course):
    obs = submit_teach_back(candidate, course, self_levels={"R1": "3", "R4": 2})
    assert obs.self_levels == {"R1": 3, "R4": 2}
    assert obs.attempt == 1
    with pytest.raises(ApplicationError) as err:
        submit_teach_back(PersonFactory(), course, self_levels={"R1": 7})
    assert err.value.code == "bad_level"


def test_blind_rule_an_observer_sees_only_their_own_sheet_until_they_submit(candidate, course):
    obs = submit_teach_back(candidate, course)
    first, second = master(), master()
    sheet_b = obs_services.observer_assign(
        observation=obs, observer=second, role="master", actor=second
    )
    score(obs, first, levels(3))
    # The second observer has not submitted: they see only their own (empty) sheet.
    assert [s.pk for s in obs_selectors.visible_sheets(obs, second)] == [sheet_b.pk]
    # The first has submitted: they see submitted sheets (their own), never a draft.
    obs_services.sheet_save(sheet=sheet_b, levels={"R1": 2})
    assert [s.observer_id for s in obs_selectors.visible_sheets(obs, first)] == [first.pk]
    # The candidate sees no sheet until the result.
    assert obs_selectors.visible_sheets(obs, candidate) == []


def test_two_agreeing_observers_decide_and_the_candidate_passes(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3, R4=4), evidence={"R4": "Great eye contact"})
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.SCORING  # one of two submitted
    sheet = ScoreSheet.objects.get(observation=obs, observer=b)
    obs_services.sheet_save(sheet=sheet, levels=levels(3, R4=3), submit=True)
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.DECIDED
    assert obs.passed is True
    assert obs.combined_levels["R4"] == 3  # median of 4 and 3, a half rounded down
    assert "Great eye contact" in obs.strengths
    assert obs.flagged == []
    assert sorted(s.observer_id for s in obs_selectors.visible_sheets(obs, candidate)) == sorted(
        [a.pk, b.pk]
    )


def test_a_two_level_gap_goes_to_moderation_and_the_agreed_level_decides(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3, R6=4))
    score(obs, b, levels(3, R6=2))
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.MODERATION
    assert obs.flagged == ["R6"]
    obs_services.moderation_note_add(observation=obs, author=a, text="Probing questions at 4:10")
    with pytest.raises(ApplicationError) as err:
        obs_services.moderation_resolve(observation=obs, actor=a, levels={})
    assert err.value.code == "incomplete"
    obs_services.moderation_resolve(observation=obs, actor=a, levels={"R6": 3}, note="Agreed 3")
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.DECIDED
    assert obs.combined_levels["R6"] == 3  # median of 4 and 2
    assert obs.final_levels["R6"] == 3
    assert obs.passed is True
    assert obs.mean == pytest.approx(3.0)
    assert [n.text for n in obs.moderation_notes.all()] == ["Probing questions at 4:10", "Agreed 3"]


def test_the_pass_rule_fails_a_low_critical_criterion_and_says_why(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3, R2=2, R9=4))
    score(obs, b, levels(3, R2=2, R9=4))
    obs.refresh_from_db()
    assert obs.passed is False
    assert obs.reasons == ["Critical criteria need level 3 or above; R2 is at level 2."]
    assert "R2" in obs.next_steps


def test_no_decision_without_a_certifying_observer(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(calibrated=False), master(calibrated=False)
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3))
    score(obs, b, levels(3))
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.SCORING


def test_peers_score_only_when_allowed_and_never_move_the_result(candidate, course):
    peer = PersonFactory(roles=[Role.TRAINER])
    obs = submit_teach_back(candidate, course)
    with pytest.raises(ApplicationError) as err:
        obs_services.observer_assign(observation=obs, observer=peer, role="peer", actor=peer)
    assert err.value.code == "peers_not_allowed"
    other = submit_teach_back(PersonFactory(), course, allow_peers=True, observers_needed=3)
    a, b = master(), master()
    for person, role in ((b, "master"), (peer, "peer")):
        obs_services.observer_assign(observation=other, observer=person, role=role, actor=person)
    score(other, peer, levels(1), role="peer")
    score(other, a, levels(3))
    score(other, b, levels(3))
    other.refresh_from_db()
    assert other.passed is True
    assert set(other.combined_levels.values()) == {3}


def test_an_observer_cannot_change_submitted_scores_or_score_themselves(candidate, course):
    obs = submit_teach_back(candidate, course)
    a = master()
    sheet = score(obs, a, levels(3))
    with pytest.raises(ApplicationError) as err:
        obs_services.sheet_save(sheet=sheet, levels=levels(4), submit=True)
    assert err.value.code == "submitted"
    sheet.refresh_from_db()
    assert sheet.levels == levels(3)
    with pytest.raises(ApplicationError) as err:
        obs_services.observer_assign(observation=obs, observer=candidate, role="peer", actor=a)
    assert err.value.code == "self_observe"


def test_incomplete_sheets_cannot_be_submitted_but_drafts_are_kept(candidate, course):
    obs = submit_teach_back(candidate, course)
    a = master()
    sheet = obs_services.observer_assign(observation=obs, observer=a, role="master", actor=a)
    obs_services.sheet_save(sheet=sheet, levels={"R1": 3}, timestamps={"R1": "2:05"})
    sheet.refresh_from_db()
    assert sheet.levels == {"R1": 3}
    assert sheet.timestamps == {"R1": 125}
    with pytest.raises(ApplicationError) as err:
        obs_services.sheet_save(sheet=sheet, levels={"R1": 3}, submit=True)
    assert err.value.code == "incomplete"
    assert err.value.extra["missing"] == [f"R{n}" for n in range(2, 11)]
    with pytest.raises(ApplicationError) as err:
        obs_services.sheet_save(sheet=sheet, levels={"R1": 3}, timestamps={"R1": "2:75"})
    assert err.value.code == "bad_time"


def _fail(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(2))
    score(obs, b, levels(2))
    obs.refresh_from_db()
    assert obs.passed is False
    return obs


def test_attempts_are_spaced_by_cooling_off_and_limited_to_three(candidate, course):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail(candidate, course)
        with pytest.raises(ApplicationError) as err:
            submit_teach_back(candidate, course)
        assert err.value.code == "cooling_off"
    with time_machine.travel(start + timedelta(days=8), tick=False):
        assert _fail(candidate, course).attempt == 2
    with time_machine.travel(start + timedelta(days=16), tick=False):
        assert _fail(candidate, course).attempt == 3
    with time_machine.travel(start + timedelta(days=30), tick=False):
        with pytest.raises(ApplicationError) as err:
            submit_teach_back(candidate, course)
        assert err.value.code == "attempts_used"


def test_only_one_open_attempt_at_a_time(candidate, course):
    submit_teach_back(candidate, course)
    with pytest.raises(ApplicationError) as err:
        submit_teach_back(candidate, course)
    assert err.value.code == "attempt_open"


def test_a_passed_teach_back_after_a_completed_program_makes_a_co_facilitator(candidate, course):
    from cascade.learning.models import Enrolment
    from cascade.learning.tests.factories import build_program, enrol, open_cohort

    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cohort = open_cohort(build_program(pm)[0], pm)
    enrolment = enrol(cohort, candidate, pm)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.COMPLETED)
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3))
    score(obs, b, levels(3))
    cert = Certification.objects.get(person=candidate)
    assert cert.level == "co_facilitator"
    assert cert.awarded_by is None
    assert cert.evidence["teach_backs_passed"]["met"] is True


def test_withdrawing_an_unscored_attempt_frees_the_slot(candidate, course):
    obs = submit_teach_back(candidate, course)
    obs_services.observation_withdraw(observation=obs, actor=candidate)
    again = submit_teach_back(candidate, course)
    assert again.attempt == 1


def test_only_masters_and_managers_moderate(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3, R5=1))
    score(obs, b, levels(3, R5=3))
    with pytest.raises(Forbidden):
        obs_services.moderation_resolve(observation=obs, actor=candidate, levels={"R5": 3})
    obs.refresh_from_db()
    assert obs.moderated_levels == {}


def test_a_teach_back_for_a_program_step_signs_the_step_off_when_it_passes(candidate, course):
    from cascade.certification.selectors import observations as selectors
    from cascade.learning.models import Enrolment, ProgressStatus, StepProgress
    from cascade.learning.tests.factories import build_path, enrol, open_cohort

    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    program, (step,) = build_path(pm, [{"kind": "teach_back", "title": "Teach back 10 minutes"}])
    enrolment = enrol(open_cohort(program, pm), candidate, pm)
    assert selectors.teach_back_steps(candidate) == [(enrolment, step)]
    obs = submit_teach_back(candidate, course, step_of=(enrolment, step))
    progress = StepProgress.objects.get(enrolment=enrolment, step=step)
    assert obs.progress == progress
    assert progress.status == ProgressStatus.SUBMITTED
    # Someone else's step is refused.
    with pytest.raises(Forbidden):
        submit_teach_back(PersonFactory(), course, step_of=(enrolment, step))
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3))
    score(obs, b, levels(3))
    progress.refresh_from_db()
    assert progress.status == ProgressStatus.COMPLETED
    assert progress.score == pytest.approx(3.0)
    # The only step is done: the program is complete, and the step is no longer offered.
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.COMPLETED
    assert selectors.teach_back_steps(candidate) == []


def test_a_failed_teach_back_puts_the_step_back_in_progress(candidate, course):
    from cascade.learning.models import ProgressStatus, StepProgress
    from cascade.learning.tests.factories import build_path, enrol, open_cohort

    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    program, (step,) = build_path(pm, [{"kind": "teach_back"}], slug="tb2")
    enrolment = enrol(open_cohort(program, pm), candidate, pm)
    obs = submit_teach_back(candidate, course, step_of=(enrolment, step))
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(2))
    score(obs, b, levels(2))
    assert StepProgress.objects.get(pk=obs.progress_id).status == ProgressStatus.IN_PROGRESS


def test_the_program_step_decides_whether_peers_observe(candidate, course):
    from cascade.learning.tests.factories import build_path, enrol, open_cohort

    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    program, (step,) = build_path(
        pm, [{"kind": "teach_back", "config": {"peers_may_observe": True}}], slug="peers"
    )
    enrolment = enrol(open_cohort(program, pm), candidate, pm)
    obs = submit_teach_back(candidate, course, step_of=(enrolment, step), allow_peers=False)
    assert obs.allow_peers is True
