"""Teach-back and certification pages: each role on each page, the blind rule on the page,
forms that refuse bad input in place, and the manager's actions with their denials."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cascade.certification.models import (
    Certification,
    CertificationEvent,
    Observation,
    ObservationStatus,
)
from cascade.certification.services import awards as award_services
from cascade.certification.services import observations as obs_services
from cascade.certification.tests.factories import (
    levels,
    master,
    score,
    submit_teach_back,
    teach_back_rubric,
)
from cascade.core.models import AuditEntry
from cascade.delivery.tests.factories import make_course
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _client(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def course() -> Any:
    return make_course(title="Safe patient handling")


@pytest.fixture
def candidate() -> Any:
    return PersonFactory(roles=[Role.TRAINER], display_name="Cara Candidate")


def test_a_candidate_submits_a_teach_back_with_a_self_assessment(candidate, course):
    master()  # installs the rubric
    client = _client(candidate)
    page = client.get(reverse("certification:observation_new"))
    assert page.status_code == 200
    assert b"Content accuracy" in page.content
    response = client.post(
        reverse("certification:observation_new"),
        {
            "kind": "teach_back",
            "course": course.pk,
            "title": "Using the hoist",
            "mode": "recorded",
            "recording_url": "https://video.example.org/1",
            "level_R1": "3",
            "self_notes": "Ran over time",
        },
    )
    obs = Observation.objects.get(candidate=candidate)
    assert response.status_code == 302
    assert response["Location"] == reverse("certification:observation", args=[obs.pk])
    assert obs.self_levels == {"R1": 3}
    assert obs.self_notes == "Ran over time"


def test_a_recorded_teach_back_without_recording_shows_the_error_in_place(candidate, course):
    master()
    response = _client(candidate).post(
        reverse("certification:observation_new"),
        {"kind": "teach_back", "course": course.pk, "title": "Using the hoist", "mode": "recorded"},
    )
    assert response.status_code == 200
    assert b"Upload the recording or give a link to it." in response.content
    assert not Observation.objects.exists()


def test_the_page_hides_other_sheets_until_the_observer_submits(candidate, course):
    obs = submit_teach_back(candidate, course)
    first, second = master(display_name="Alma First"), master(display_name="Bo Second")
    obs_services.observer_assign(observation=obs, observer=second, role="master", actor=second)
    score(obs, first, levels(4), evidence={"R1": "Linked objectives to the ward"})
    page = _client(second).get(reverse("certification:observation", args=[obs.pk]))
    assert page.status_code == 200
    assert b"Alma First" in page.content  # listed as an observer...
    assert b"Linked objectives to the ward" not in page.content  # ...but the scores are hidden
    own = _client(candidate).get(reverse("certification:observation", args=[obs.pk]))
    assert b"Linked objectives to the ward" not in own.content
    after = _client(first).get(reverse("certification:observation", args=[obs.pk]))
    assert b"Linked objectives to the ward" in after.content


def test_scoring_through_the_form_decides_and_the_candidate_sees_feedback(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3))
    client = _client(b)
    url = reverse("certification:observation_score", args=[obs.pk])
    assert client.get(url).status_code == 200
    data = {f"level_R{n}": "3" for n in range(1, 11)}
    data.update({"evidence_R4": "Clear voice", "time_R4": "3:10", "submit": "1"})
    response = client.post(url, data)
    assert response.status_code == 302
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.DECIDED
    assert obs.passed
    page = _client(candidate).get(reverse("certification:observation", args=[obs.pk]))
    assert b"Clear voice" in page.content
    assert b"Strengths" in page.content


def test_an_incomplete_submission_marks_the_missing_criteria(candidate, course):
    obs = submit_teach_back(candidate, course)
    a = master()
    obs_services.observer_assign(observation=obs, observer=a, role="master", actor=a)
    response = _client(a).post(
        reverse("certification:observation_score", args=[obs.pk]), {"level_R1": "3", "submit": "1"}
    )
    assert response.status_code == 200
    assert response.content.count(b"Choose a level.") == 9
    assert obs.sheets.get().submitted_at is None


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER, Role.MANAGER])
def test_outsiders_get_404_on_someone_elses_attempt(candidate, course, role):
    obs = submit_teach_back(candidate, course)
    client = _client(PersonFactory(roles=[role]))
    for name in ("observation", "observation_score", "observation_recording"):
        assert client.get(reverse(f"certification:{name}", args=[obs.pk])).status_code == 404
    assert (
        client.post(reverse("certification:observation_assign", args=[obs.pk]), {"self": "master"})
    ).status_code == 404
    assert not obs.sheets.exists()


def test_a_trainer_may_observe_as_peer_only_where_allowed(candidate, course):
    obs = submit_teach_back(candidate, course, allow_peers=True)
    peer = PersonFactory(roles=[Role.TRAINER])
    client = _client(peer)
    listing = client.get(reverse("certification:observations"))
    assert obs.title.encode() in listing.content
    response = client.post(
        reverse("certification:observation_assign", args=[obs.pk]), {"self": "peer"}
    )
    assert response.status_code == 302
    assert obs.sheets.get().observer == peer
    # Claiming a master's seat is refused.
    other = submit_teach_back(PersonFactory(), course, allow_peers=True)
    client.get(reverse("certification:observation", args=[other.pk]))
    assert (
        client.post(
            reverse("certification:observation_assign", args=[other.pk]), {"self": "master"}
        )
    ).status_code == 404


def test_moderation_on_the_page(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(3, R7=1))
    score(obs, b, levels(3, R7=3))
    client = _client(a)
    page = client.get(reverse("certification:observation", args=[obs.pk]))
    assert b"Set the agreed levels" in page.content
    client.post(reverse("certification:observation_note", args=[obs.pk]), {"text": "See 5:20"})
    # The candidate cannot post or resolve.
    cand = _client(candidate)
    assert (
        cand.post(
            reverse("certification:observation_note", args=[obs.pk]), {"text": "x"}
        ).status_code
        == 404
    )
    assert (
        cand.post(
            reverse("certification:observation_resolve", args=[obs.pk]), {"level_R7": "3"}
        ).status_code
        == 404
    )
    client.post(reverse("certification:observation_resolve", args=[obs.pk]), {"level_R7": "3"})
    obs.refresh_from_db()
    assert obs.status == ObservationStatus.DECIDED
    assert obs.moderated_levels == {"R7": 3}
    assert list(obs.moderation_notes.values_list("text", flat=True)) == ["See 5:20"]


def _certified(person: Any, course: Any, pm: Any) -> Certification:
    return award_services.certification_award(
        person=person, course=course, level="certified", actor=pm, reason="Transferred from HQ"
    )


def test_a_manager_awards_suspends_reinstates_and_revokes_with_reasons(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    client = _client(pm)
    response = client.post(
        reverse("certification:certification_award"),
        {"person": candidate.pk, "course": course.pk, "level": "certified", "reason": "Transfer"},
    )
    cert = Certification.objects.get(person=candidate)
    assert response["Location"] == reverse("certification:certification", args=[cert.pk])
    assert cert.awarded_by == pm
    assert cert.credential
    action = reverse("certification:certification_action", args=[cert.pk])
    assert client.post(action, {"action": "suspend", "reason": ""}).status_code == 302
    cert.refresh_from_db()
    assert cert.status == "active"  # no reason, no change
    for step, expected in (
        ("suspend", "suspended"),
        ("reinstate", "active"),
        ("revoke", "revoked"),
    ):
        client.post(action, {"action": step, "reason": f"{step} because"})
        cert.refresh_from_db()
        assert cert.status == expected
    assert list(cert.events.values_list("action", flat=True)) == [
        "awarded",
        "suspended",
        "reinstated",
        "revoked",
    ]
    assert AuditEntry.objects.filter(
        action="certification_revoked", target_id=str(cert.pk)
    ).exists()
    # Revoked is final.
    client.post(action, {"action": "reinstate", "reason": "oops"})
    cert.refresh_from_db()
    assert cert.status == "revoked"


def test_only_program_managers_change_certifications(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = _certified(candidate, course, pm)
    for person in (candidate, master(), PersonFactory(roles=[Role.TRAINER])):
        client = _client(person)
        response = client.post(
            reverse("certification:certification_action", args=[cert.pk]),
            {"action": "revoke", "reason": "mine now"},
        )
        assert response.status_code == 404
        assert client.get(reverse("certification:certification_award")).status_code == 404
    cert.refresh_from_db()
    assert cert.status == "active"
    assert CertificationEvent.objects.filter(certification=cert).count() == 1


def test_people_see_their_own_certifications_only(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = _certified(candidate, course, pm)
    stranger = _client(PersonFactory(roles=[Role.TRAINER]))
    assert stranger.get(reverse("certification:certification", args=[cert.pk])).status_code == 404
    assert b"Cara Candidate" not in stranger.get(reverse("certification:certifications")).content
    own = _client(candidate)
    assert own.get(reverse("certification:certification", args=[cert.pk])).status_code == 200
    assert b"Cara Candidate" in own.get(reverse("certification:certifications")).content


def test_the_path_page_shows_what_is_met_and_missing(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    teach_back_rubric()  # the framework names the competencies
    award_services.certification_award(
        person=candidate, course=course, level="co_facilitator", actor=pm, reason="ToT done"
    )
    page = _client(candidate).get(reverse("certification:my_path"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Next: Certified trainer" in text
    assert "Sessions co-delivered</strong>: needs 2 sessions, has 0 sessions" in text
    assert "C01 Subject credibility</strong>: needs level 2, has no evidence yet" in text
    # Masters see anyone's path; trainers do not.
    assert (
        _client(master()).get(reverse("certification:person_path", args=[candidate.pk])).status_code
        == 200
    )
    assert (
        _client(PersonFactory(roles=[Role.TRAINER]))
        .get(reverse("certification:person_path", args=[candidate.pk]))
        .status_code
        == 404
    )


def test_growth_page_draws_one_panel_per_criterion(candidate, course):
    obs = submit_teach_back(candidate, course)
    a, b = master(), master()
    obs_services.observer_assign(observation=obs, observer=b, role="master", actor=b)
    score(obs, a, levels(2))
    score(obs, b, levels(2))
    page = _client(candidate).get(reverse("certification:growth"))
    assert page.status_code == 200
    assert page.content.count(b"<figure") == 10


def test_development_hours_are_logged_and_bad_input_refused(candidate):
    client = _client(candidate)
    client.post(
        reverse("certification:development_add"),
        {"title": "Coaching course", "hours": "6", "done_on": "2026-01-10"},
    )
    client.post(
        reverse("certification:development_add"), {"title": "", "hours": "-1", "done_on": "x"}
    )
    assert list(candidate.development.values_list("title", flat=True)) == ["Coaching course"]


def test_a_master_cannot_renew_someone_elses_certification(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = _certified(candidate, course, pm)
    response = _client(master()).post(
        reverse("certification:certification_action", args=[cert.pk]),
        {"action": "renew", "reason": "why not"},
    )
    assert response.status_code == 404
    assert Certification.objects.count() == 1


def test_the_holder_is_told_what_renewal_still_needs(candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = _certified(candidate, course, pm)
    client = _client(candidate)
    response = client.post(
        reverse("certification:certification_action", args=[cert.pk]), {"action": "renew"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"Not yet renewable" in page.content
    assert Certification.objects.count() == 1


def _count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_list_pages_do_not_grow_with_the_data(course):
    """Query budgets: the teach-backs list, the certifications list and a path page do the same
    number of queries for 2 items as for 8."""
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    watcher = master()
    trainer = PersonFactory(roles=[Role.TRAINER])
    pages = {
        "teach-backs": reverse("certification:observations"),
        "certifications": reverse("certification:certifications") + "?status=all",
        "path": reverse("certification:person_path", args=[trainer.pk]),
    }

    def add(n: int) -> None:
        for _ in range(n):
            person = PersonFactory(roles=[Role.TRAINER])
            obs = submit_teach_back(person, course)
            obs_services.observer_assign(observation=obs, observer=watcher, role="master", actor=pm)
            award_services.certification_award(
                person=person, course=make_course(), level="certified", actor=pm, reason="x"
            )
            obs_services.moderation_note_add(observation=obs, author=pm, text="note")

    award_services.certification_award(
        person=trainer, course=course, level="co_facilitator", actor=pm, reason="x"
    )
    add(2)
    client = _client(watcher)
    pm_client = _client(pm)
    small = {
        name: _count_queries(pm_client if name == "certifications" else client, url)
        for name, url in pages.items()
    }
    add(6)
    large = {
        name: _count_queries(pm_client if name == "certifications" else client, url)
        for name, url in pages.items()
    }
    assert large == small
    assert max(small.values()) <= 40


def test_an_observed_solo_delivery_names_a_session_the_candidate_staffed(candidate, course):
    from cascade.delivery.models import SessionStaff
    from cascade.delivery.tests.factories import in_days, make_session

    master()
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    session = make_session(pm, course=course, starts_at=in_days(-3))
    SessionStaff.objects.create(session=session, person=candidate, role="lead")
    other = make_session(pm, course=course, starts_at=in_days(-4))
    client = _client(candidate)
    form = {
        "kind": "solo_delivery",
        "course": course.pk,
        "title": "Full day, ward 7",
        "mode": "live",
    }
    refused = client.post(reverse("certification:observation_new"), form)
    assert b"Choose the session that was delivered." in refused.content
    not_mine = client.post(reverse("certification:observation_new"), {**form, "session": other.pk})
    assert not_mine.status_code == 200  # not one of the choices
    assert not Observation.objects.exists()
    client.post(reverse("certification:observation_new"), {**form, "session": session.pk})
    obs = Observation.objects.get()
    assert (obs.kind, obs.session, obs.mode) == ("solo_delivery", session, "live")


def test_a_master_rates_a_competency_on_someones_path(candidate):
    from cascade.certification.models import Competency, CompetencyRating

    teach_back_rubric()
    c12 = Competency.objects.get(code="C12", framework__status="published")
    url = reverse("certification:competency_rate", args=[candidate.pk])
    data = {"competency": c12.pk, "level": "3", "note": "Ran the review of L1 results"}
    # The candidate cannot rate themselves; a trainer cannot rate anyone.
    assert _client(candidate).post(url, data).status_code == 404
    assert _client(PersonFactory(roles=[Role.TRAINER])).post(url, data).status_code == 404
    assert not CompetencyRating.objects.exists()
    rater = master()
    page = _client(rater).get(reverse("certification:person_path", args=[candidate.pk]))
    assert b"Record rating" in page.content
    _client(rater).post(url, data)
    rating = CompetencyRating.objects.get()
    assert (rating.person, rating.level, rating.rated_by) == (candidate, 3, rater)
    mine = _client(candidate).get(reverse("certification:my_path"))
    assert b"C12 Assessment and evaluation" in mine.content
    assert b"Record rating" not in mine.content
