"""The frameworks and rubrics API: what readers get, versions by number, drafts for editors
only, and the refusals (403 on the lists, 404 on a framework or rubric) for everyone else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cascade.certification import defaults, services
from cascade.people import services as people_services
from cascade.people.models import AccessToken, Person, Role
from cascade.people.tests.factories import OrgUnitFactory, RoleAssignmentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
FW, TB, VD = defaults.FRAMEWORK_SLUG, defaults.TEACH_BACK_SLUG, defaults.VIRTUAL_SLUG


def _get(client: Any, person: Person, path: str, **params: Any) -> Any:
    _token, key = people_services.token_create(
        person=person, name="test", scope=AccessToken.Scope.READ
    )
    return client.get(f"{API}{path}", params, headers={"authorization": f"Bearer {key}"})


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.fixture
def installed(program_manager: Any) -> Any:
    return services.defaults_install(actor=program_manager)


def test_a_trainer_lists_frameworks_and_rubrics(client, make_person, installed):
    framework = installed[0]
    trainer = make_person(Role.TRAINER)

    frameworks = _get(client, trainer, "/frameworks")
    rubrics = _get(client, trainer, "/rubrics")

    assert frameworks.status_code == 200
    assert frameworks.json() == {
        "count": 1,
        "page": 1,
        "page_size": 50,
        "items": [
            {
                "slug": FW,
                "version": 1,
                "name": "Trainer competencies",
                "description": framework.description,
                "status": "published",
                "published_at": framework.published_at.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
                "competency_count": 13,
                "draft_version": None,
            }
        ],
    }
    body = rubrics.json()
    assert rubrics.status_code == 200
    assert body["count"] == 2
    by_slug = {item["slug"]: item for item in body["items"]}
    assert by_slug[TB]["pass_rule"] == {"min_each": 2, "min_critical": 3, "min_mean": 3.0}
    assert by_slug[TB]["framework"] == {"slug": FW, "version": 1, "name": "Trainer competencies"}
    assert by_slug[TB]["extends"] is None
    assert by_slug[TB]["criterion_count"] == 10
    assert by_slug[VD]["extends"] == {"slug": TB, "version": 1, "name": "Teach-back observation"}
    assert by_slug[VD]["criterion_count"] == 3


def test_a_master_trainer_reads_a_rubric_with_its_criteria(client, make_person, installed):
    master = make_person(Role.MASTER_TRAINER)

    response = _get(client, master, f"/rubrics/{TB}")

    body = response.json()
    assert response.status_code == 200
    assert (body["slug"], body["version"], body["status"]) == (TB, 1, "published")
    assert body["add_ons"] == [{"slug": VD, "version": 1, "name": "Virtual delivery add-on"}]
    assert [c["code"] for c in body["criteria"]] == [f"R{n}" for n in range(1, 11)]
    assert body["criteria"][5] == {
        "code": "R6",
        "name": "Questioning",
        "critical": False,
        "anchors": {
            "1": "No questions, or only rhetorical ones.",
            "2": "Closed recall questions, with little waiting for answers.",
            "3": "A mix of questions, at least one at the apply level or above; waits about 3 s.",
            "4": "Higher-order questions in sequence, with follow-up probes.",
        },
        "competencies": ["C07"],
    }
    assert [c["code"] for c in body["criteria"] if c["critical"]] == ["R2"]
    assert body["criteria"][0]["competencies"] == ["C02", "C03"]  # in the framework's order


def test_a_framework_with_its_levels_and_competencies(client, make_person, installed):
    response = _get(client, make_person(Role.TRAINER), f"/frameworks/{FW}")

    body = response.json()
    assert response.status_code == 200
    assert body["levels"][0] == {
        "number": 1,
        "name": "Foundational",
        "description": "Works from a script or with guidance.",
    }
    assert [level["name"] for level in body["levels"]] == defaults.LEVEL_NAMES
    assert len(body["competencies"]) == 13
    assert body["competencies"][6] == {
        "code": "C07",
        "name": "Questioning",
        "descriptor": "Asks open and closed questions at several levels of thinking, and waits "
        "for answers.",
    }


def test_versions_by_number_and_drafts_only_for_editors(
    client, make_person, program_manager, installed
):
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    services.rubric_rule_set(rubric=draft, min_each=2, min_critical=3, min_mean=Decimal("2.75"))
    trainer = make_person(Role.TRAINER)

    as_trainer = _get(client, trainer, f"/rubrics/{TB}", version=2)
    as_editor = _get(client, program_manager, f"/rubrics/{TB}", version=2)
    listed_to_trainer = _get(client, trainer, "/rubrics").json()["items"]
    listed_to_editor = _get(client, program_manager, "/rubrics").json()["items"]

    _problem(as_trainer, 404, "not_found")
    assert as_editor.status_code == 200
    assert (as_editor.json()["status"], as_editor.json()["pass_rule"]["min_mean"]) == (
        "draft",
        2.75,
    )
    assert {i["slug"]: i["draft_version"] for i in listed_to_trainer} == {TB: None, VD: None}
    assert {i["slug"]: i["draft_version"] for i in listed_to_editor} == {TB: 2, VD: None}

    services.rubric_publish(rubric=draft, actor=program_manager)
    current = _get(client, trainer, f"/rubrics/{TB}").json()
    retired = _get(client, trainer, f"/rubrics/{TB}", version=1).json()
    assert (current["version"], current["pass_rule"]["min_mean"]) == (2, 2.75)
    assert (retired["status"], retired["pass_rule"]["min_mean"]) == ("retired", 3.0)


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MANAGER, None])
def test_people_who_do_not_read_rubrics_are_refused(client, make_person, installed, role):
    outsider = make_person(*([role] if role else []))

    _problem(_get(client, outsider, "/frameworks"), 403, "forbidden")
    _problem(_get(client, outsider, "/rubrics"), 403, "forbidden")
    _problem(_get(client, outsider, f"/frameworks/{FW}"), 404, "not_found")
    _problem(_get(client, outsider, f"/rubrics/{TB}"), 404, "not_found")


def test_a_scoped_program_manager_reads_but_sees_no_draft(client, program_manager, installed):
    services.framework_draft(slug=FW, actor=program_manager)
    scoped = RoleAssignmentFactory(role=Role.PROGRAM_MANAGER, org_unit=OrgUnitFactory()).person

    listed = _get(client, scoped, "/frameworks").json()["items"]

    assert [(i["slug"], i["version"], i["draft_version"]) for i in listed] == [(FW, 1, None)]
    _problem(_get(client, scoped, f"/frameworks/{FW}", version=2), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/rubrics/no-such-rubric", {}, 404, "not_found"),
        (f"/rubrics/{TB}", {"version": 9}, 404, "not_found"),
        (f"/rubrics/{TB}", {"version": 0}, 422, "validation_error"),
        (f"/rubrics/{TB}", {"version": "x"}, 422, "validation_error"),
        (f"/frameworks/{FW}", {"version": 2**40}, 422, "validation_error"),
        ("/rubrics", {"page_size": 500}, 422, "validation_error"),
    ],
)
def test_bad_requests_answer_problems(client, make_person, installed, path, params, status, code):
    _problem(_get(client, make_person(Role.TRAINER), path, **params), status, code)


def test_signed_out_callers_are_refused(client, installed):
    _problem(client.get(f"{API}/rubrics"), 401, "not_authenticated")


def test_reading_a_rubric_does_not_query_per_criterion(
    client, make_person, program_manager, installed, django_assert_max_num_queries
):
    trainer = make_person(Role.TRAINER)
    _token, key = people_services.token_create(person=trainer, name="t", scope="read")
    headers = {"authorization": f"Bearer {key}"}
    with django_assert_max_num_queries(12) as first:
        client.get(f"{API}/rubrics/{TB}", headers=headers)
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    competencies = list(draft.framework.competencies.values_list("pk", flat=True))
    for n in range(11, 21):
        services.criterion_save(
            rubric=draft,
            code=f"R{n}",
            name=f"Extra {n}",
            anchors={1: "a", 2: "b", 3: "c", 4: "d"},
            competency_ids=competencies[:3],
        )
    services.rubric_publish(rubric=draft, actor=program_manager)

    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(f"{API}/rubrics/{TB}", headers=headers)
    assert len(response.json()["criteria"]) == 20
