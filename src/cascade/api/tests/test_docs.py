"""The OpenAPI schema and the interactive docs are served at /api/v1/."""

from __future__ import annotations


def test_openapi_schema_lists_the_people_endpoints(client, db):
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
    }
    assert sorted(schema["components"]["securitySchemes"]) == ["SessionAuth", "TokenAuth"]


def test_input_schemas_never_offer_privileged_fields(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("PersonCreateIn", "PersonUpdateIn"):
        fields = set(schemas[name]["properties"])
        assert fields & {"id", "is_staff", "is_superuser", "password", "is_active"} == set()


def test_docs_page_is_served(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
