"""Every error the API can meet becomes an RFC 9457 problem document with a stable code."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.testing import TestClient

from cascade.api.errors import install_problem_handlers
from cascade.core.errors import ApplicationError, Forbidden, NotFound
from cascade.people import services

# A small API with the real handlers, whose endpoints raise each kind of exception.
problems = NinjaAPI(urls_namespace="problems-test")
install_problem_handlers(problems)

RAISES = {
    "application": ApplicationError(
        "Too late to enrol.", code="enrolment_closed", status=409, extra={"closes": "Monday"}
    ),
    "application-reserved": ApplicationError("No.", extra={"status": 200, "hint": "x"}),
    "not-found": NotFound(),
    "forbidden": Forbidden(),
    "http404": Http404("No Person matches the given query."),
    "does-not-exist": ObjectDoesNotExist("Person matching query does not exist."),
    "permission": PermissionDenied(),
    "django-field": ValidationError({"code": ["Taken."], "__all__": ["Both wrong."]}),
    "django-plain": ValidationError(["First.", "Second."]),
    "bug": ZeroDivisionError("division by zero"),
}


@problems.get("/raise/{kind}")
def raise_it(request, kind: str):
    raise RAISES[kind]


@pytest.fixture
def problem_client() -> TestClient:
    return TestClient(problems)


def type_for(code: str) -> str:
    return f"https://cascade.invalid/problems/{code}"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (
            "application",
            {
                "type": type_for("enrolment_closed"),
                "title": "Conflict",
                "status": 409,
                "code": "enrolment_closed",
                "detail": "Too late to enrol.",
                "closes": "Monday",
            },
        ),
        (
            "application-reserved",
            {
                "type": type_for("invalid"),
                "title": "Bad Request",
                "status": 400,
                "code": "invalid",
                "detail": "No.",
                "hint": "x",
            },
        ),
        (
            "not-found",
            {
                "type": type_for("not_found"),
                "title": "Not Found",
                "status": 404,
                "code": "not_found",
                "detail": "Not found.",
            },
        ),
        (
            "forbidden",
            {
                "type": type_for("forbidden"),
                "title": "Forbidden",
                "status": 403,
                "code": "forbidden",
                "detail": "You may not do this.",
            },
        ),
        (
            "http404",
            {
                "type": type_for("not_found"),
                "title": "Not Found",
                "status": 404,
                "code": "not_found",
                "detail": "Not found.",
            },
        ),
        (
            "does-not-exist",
            {
                "type": type_for("not_found"),
                "title": "Not Found",
                "status": 404,
                "code": "not_found",
                "detail": "Not found.",
            },
        ),
        (
            "permission",
            {
                "type": type_for("forbidden"),
                "title": "Forbidden",
                "status": 403,
                "code": "forbidden",
                "detail": "You may not do this.",
            },
        ),
        (
            "django-field",
            {
                "type": type_for("invalid"),
                "title": "Bad Request",
                "status": 400,
                "code": "invalid",
                "detail": "Taken. Both wrong.",
                "errors": [{"loc": ["code"], "msg": "Taken."}, {"loc": [], "msg": "Both wrong."}],
            },
        ),
        (
            "django-plain",
            {
                "type": type_for("invalid"),
                "title": "Bad Request",
                "status": 400,
                "code": "invalid",
                "detail": "First. Second.",
                "errors": [{"loc": [], "msg": "First."}, {"loc": [], "msg": "Second."}],
            },
        ),
        (
            "bug",
            {
                "type": type_for("server_error"),
                "title": "Internal Server Error",
                "status": 500,
                "code": "server_error",
                "detail": "Something went wrong; the error was logged.",
            },
        ),
    ],
)
def test_exceptions_become_problem_documents(problem_client, kind, body):
    response = problem_client.get(f"/raise/{kind}")
    assert response.status_code == body["status"]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == body


def test_unexpected_errors_are_logged(problem_client, caplog):
    problem_client.get("/raise/bug")
    assert [r.getMessage() for r in caplog.records if r.name == "cascade.api"] == [
        "Unhandled API error on GET /raise/bug"
    ]


# --- Through the real API -------------------------------------------------------------------


@pytest.fixture
def write_headers(program_manager) -> dict[str, str]:
    _token, key = services.token_create(person=program_manager, name="t", scope="write")
    return {"authorization": f"Bearer {key}"}


def test_malformed_json_is_a_400_problem(client, write_headers):
    response = client.post(
        "/api/v1/people",
        '{"email": "x@example.org",',
        content_type="application/json",
        headers=write_headers,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": type_for("bad_request"),
        "title": "Bad Request",
        "status": 400,
        "code": "bad_request",
        "detail": "Cannot parse request body",
    }


def test_body_of_the_wrong_shape_is_a_422_problem(client, write_headers):
    response = client.post(
        "/api/v1/people", "[1, 2]", content_type="application/json", headers=write_headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_validation_errors_list_where_and_what(client, write_headers):
    response = client.post(
        "/api/v1/people",
        {"display_name": "", "roles": "learner"},
        content_type="application/json",
        headers=write_headers,
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"] == "The request is not valid; see errors."
    assert body["errors"] == [
        {"loc": ["body", "payload", "email"], "msg": "Field required"},
        {
            "loc": ["body", "payload", "display_name"],
            "msg": "String should have at least 1 character",
        },
        {"loc": ["body", "payload", "roles"], "msg": "Input should be a valid list"},
    ]


def test_path_parameters_must_be_integers(client, write_headers):
    response = client.get("/api/v1/people/abc", headers=write_headers)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
