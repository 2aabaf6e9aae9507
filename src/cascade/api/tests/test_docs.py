"""The OpenAPI schema and the interactive docs are served at /api/v1/."""

from __future__ import annotations


def test_openapi_schema_lists_every_endpoint(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Cascade API"
    assert {path: sorted(operations) for path, operations in schema["paths"].items()} == {
        "/api/v1/people": ["get", "post"],
        "/api/v1/people/me": ["get"],
        "/api/v1/people/{person_id}": ["get", "patch"],
        "/api/v1/people/{person_id}/roles": ["put"],
        "/api/v1/people/{person_id}/deactivate": ["post"],
        "/api/v1/org-units": ["get", "post"],
        "/api/v1/org-units/{unit_id}": ["get", "patch"],
        "/api/v1/programs": ["get"],
        "/api/v1/programs/{program_id}": ["get"],
        "/api/v1/programs/{program_id}/versions/{number}": ["get"],
        "/api/v1/programs/{program_id}/questions": ["get"],
        "/api/v1/cohorts": ["get"],
        "/api/v1/cohorts/{cohort_id}": ["get"],
        "/api/v1/cohorts/{cohort_id}/enrolments": ["get", "post"],
        "/api/v1/enrolments": ["get"],
        "/api/v1/enrolments/{enrolment_id}/progress": ["get"],
        "/api/v1/enrolments/{enrolment_id}/steps/{step_id}/attempts": ["post"],
        "/api/v1/attempts/{attempt_id}": ["get"],
        "/api/v1/attempts/{attempt_id}/responses": ["put"],
        "/api/v1/attempts/{attempt_id}/submit": ["post"],
        "/api/v1/courses": ["get", "post"],
        "/api/v1/courses/{course_id}": ["get", "patch"],
        "/api/v1/sessions": ["get", "post"],
        "/api/v1/sessions/{session_id}": ["get"],
        "/api/v1/sessions/{session_id}/open": ["post"],
        "/api/v1/sessions/{session_id}/cancel": ["post"],
        "/api/v1/sessions/{session_id}/enrolments": ["get", "post"],
        "/api/v1/sessions/{session_id}/attendance": ["get", "put"],
        "/api/v1/sessions/{session_id}/check-in": ["post"],
        "/api/v1/session-enrolments/{booking_id}/cancel": ["post"],
        "/api/v1/frameworks": ["get"],
        "/api/v1/frameworks/{slug}": ["get"],
        "/api/v1/rubrics": ["get"],
        "/api/v1/rubrics/{slug}": ["get"],
        "/api/v1/observations": ["get"],
        "/api/v1/observations/{observation_id}": ["get"],
        "/api/v1/certifications": ["get"],
        "/api/v1/certifications/{certification_id}": ["get"],
        "/api/v1/certifications/{certification_id}/credential": ["get"],
        "/api/v1/credentials/verify": ["post"],
    }
    assert sorted(schema["components"]["securitySchemes"]) == ["SessionAuth", "TokenAuth"]


def test_input_schemas_never_offer_privileged_fields(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("PersonCreateIn", "PersonUpdateIn"):
        fields = set(schemas[name]["properties"])
        assert fields & {"id", "is_staff", "is_superuser", "password", "is_active"} == set()
    assert set(schemas["EnrolIn"]["properties"]) == {"emails", "person_ids"}
    assert set(schemas["ResponsesIn"]["properties"]) == {"responses"}


def test_attempt_schemas_have_no_answer_fields(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schemas["AttemptQuestionOut"]["properties"]) == {
        "qid",
        "kind",
        "prompt",
        "options",
        "items",
        "lefts",
        "rights",
    }
    assert set(schemas["TokenText"]["properties"]) == {"token", "text"}


def test_docs_page_is_served(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
