"""The observations, certifications and verification API: the blind rule holds in every
answer, people see only their own certifications, the credential is returned as issued and
verifies through the public endpoint, and fails once revoked."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.certification.services import awards as award_services
from cascade.certification.services import observations as obs_services
from cascade.certification.tests.factories import levels, master, score, submit_teach_back
from cascade.delivery.tests.factories import make_course
from cascade.people import services as people_services
from cascade.people.models import AccessToken, Person, Role
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _get(client: Any, person: Person, path: str, **params: Any) -> Any:
    _token, key = people_services.token_create(
        person=person, name="test", scope=AccessToken.Scope.READ
    )
    return client.get(f"{API}{path}", params, headers={"authorization": f"Bearer {key}"})


@pytest.fixture
def course() -> Any:
    return make_course(title="Safe patient handling")


@pytest.fixture
def candidate() -> Any:
    return PersonFactory(roles=[Role.TRAINER])


def test_observation_scores_follow_the_blind_rule(client, candidate, course):
    obs = submit_teach_back(candidate, course, self_levels={"R1": 2})
    first, second = master(), master()
    obs_services.observer_assign(observation=obs, observer=second, role="master", actor=second)
    score(obs, first, levels(3))
    obs_services.sheet_save(sheet=obs.sheets.get(observer=second), levels={"R1": 4})

    mine = _get(client, second, f"/observations/{obs.pk}").json()
    assert [s["observer"]["id"] for s in mine["sheets"]] == [second.pk]
    assert mine["sheets"][0]["levels"] == {"R1": 4}
    theirs = _get(client, first, f"/observations/{obs.pk}").json()
    assert [s["observer"]["id"] for s in theirs["sheets"]] == [first.pk]  # no drafts of others
    as_candidate = _get(client, candidate, f"/observations/{obs.pk}").json()
    assert as_candidate["sheets"] == []
    assert as_candidate["self_levels"] == {"R1": 2}
    assert as_candidate["result"] is None
    assert theirs["self_levels"] is None  # the self-assessment is the candidate's until decided
    listed = _get(client, candidate, "/observations").json()
    assert [o["id"] for o in listed["items"]] == [obs.pk]
    stranger = PersonFactory(roles=[Role.TRAINER])
    assert _get(client, stranger, f"/observations/{obs.pk}").status_code == 404
    assert _get(client, stranger, "/observations").json()["count"] == 0


def test_certifications_are_listed_to_their_holder_and_to_managers(client, candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = award_services.certification_award(
        person=candidate, course=course, level="certified", actor=pm, reason="Transfer"
    )
    other = PersonFactory(roles=[Role.TRAINER])
    own = _get(client, candidate, "/certifications").json()
    assert [c["id"] for c in own["items"]] == [cert.pk]
    assert own["items"][0]["level"] == "certified"
    assert own["items"][0]["verification_url"].endswith(f"/credentials/{cert.uid}/")
    assert _get(client, other, "/certifications").json()["count"] == 0
    assert _get(client, other, f"/certifications/{cert.pk}/credential").status_code == 404
    assert _get(client, pm, "/certifications", status="revoked").json()["count"] == 0
    assert _get(client, pm, "/certifications", course=course.pk).json()["count"] == 1


def test_the_credential_as_issued_verifies_until_it_is_revoked(client, candidate, course):
    pm = PersonFactory(roles=[Role.PROGRAM_MANAGER])
    cert = award_services.certification_award(
        person=candidate, course=course, level="certified", actor=pm, reason="Transfer"
    )
    document = _get(client, candidate, f"/certifications/{cert.pk}/credential").json()
    assert document["type"] == "EnvelopedVerifiableCredential"
    assert document["id"].endswith(cert.credential)
    # Verification is public: no token, no session.
    ok = client.post(
        f"{API}/credentials/verify", {"credential": document}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    award_services.certification_revoke(certification=cert, actor=pm, reason="Misconduct")
    revoked = client.post(
        f"{API}/credentials/verify", {"credential": document}, content_type="application/json"
    ).json()
    assert revoked["valid"] is False
    assert "revoked" in revoked["reason"]
    junk = client.post(
        f"{API}/credentials/verify",
        {"credential": "not a credential"},
        content_type="application/json",
    )
    assert junk.status_code == 200
    assert junk.json()["valid"] is False
