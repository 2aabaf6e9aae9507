"""Who may call the API: personal access tokens (with scopes) and sessions (with CSRF)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cascade.people import services
from cascade.people.models import AccessToken, Person

ME = "/api/v1/people/me"
PEOPLE = "/api/v1/people"
NEW_PERSON = {"email": "new@example.org", "display_name": "New Person"}


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def assert_not_authenticated(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="cascade"'
    assert response.json()["code"] == "not_authenticated"


# --- Tokens ---------------------------------------------------------------------------------


def test_no_credentials_is_401(client, db):
    response = client.get(ME)
    assert_not_authenticated(response)
    assert response.json() == {
        "type": "https://cascade.invalid/problems/not_authenticated",
        "title": "Unauthorized",
        "status": 401,
        "code": "not_authenticated",
        "detail": "Sign in, or send a valid personal access token as "
        "'Authorization: Bearer <key>'.",
    }


def test_valid_token_identifies_the_person_and_records_its_use(client, learner):
    token, key = services.token_create(person=learner, name="script")
    response = client.get(ME, headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["id"] == learner.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer csc_not-a-real-key",
        "Bearer ",
        "Bearer",
        "bearer csc_" + "x" * 200,
    ],
)
def test_unknown_token_is_401(client, learner, header):
    assert_not_authenticated(client.get(ME, headers={"authorization": header}))


def test_revoked_token_is_401(client, learner):
    token, key = services.token_create(person=learner, name="script")
    services.token_revoke(token=token, actor=learner)
    assert_not_authenticated(client.get(ME, headers=bearer(key)))


def test_expired_token_is_401(client, learner):
    _token, key = services.token_create(
        person=learner, name="script", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert_not_authenticated(client.get(ME, headers=bearer(key)))


def test_deactivated_persons_token_is_401(client, learner):
    _token, key = services.token_create(person=learner, name="script")
    Person.objects.filter(pk=learner.pk).update(is_active=False)
    assert_not_authenticated(client.get(ME, headers=bearer(key)))


def test_a_bad_token_does_not_fall_back_to_the_session(client, learner):
    client.force_login(learner)
    assert_not_authenticated(client.get(ME, headers=bearer("csc_wrong")))


def test_read_token_reads_but_cannot_write(client, program_manager):
    _token, key = services.token_create(person=program_manager, name="read", scope="read")
    before = Person.objects.count()
    assert client.get(PEOPLE, headers=bearer(key)).status_code == 200
    response = client.post(PEOPLE, NEW_PERSON, content_type="application/json", headers=bearer(key))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "insufficient_scope"
    assert Person.objects.count() == before


@pytest.mark.parametrize(("method", "path"), [("patch", ""), ("put", "/roles")])
def test_read_token_cannot_patch_or_put(client, program_manager, learner, method, path):
    _token, key = services.token_create(person=program_manager, name="read", scope="read")
    before = learner.role_assignments.count()
    response = getattr(client, method)(
        f"{PEOPLE}/{learner.pk}{path}",
        {"job_title": "x", "roles": []},
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    learner.refresh_from_db()
    assert (learner.job_title, learner.role_assignments.count()) == ("", before)


def test_write_token_writes_without_csrf(program_manager):
    client = Client(enforce_csrf_checks=True)
    _token, key = services.token_create(person=program_manager, name="sync", scope="write")
    response = client.post(PEOPLE, NEW_PERSON, content_type="application/json", headers=bearer(key))
    assert response.status_code == 201
    assert Person.objects.filter(email="new@example.org").exists()


# --- Sessions -------------------------------------------------------------------------------


def test_session_reads(client, learner):
    client.force_login(learner)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == learner.pk


def test_session_post_without_csrf_token_is_refused(program_manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(program_manager)
    before = Person.objects.count()
    response = client.post(PEOPLE, NEW_PERSON, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "csrf_failed"
    assert Person.objects.count() == before


def test_session_post_with_csrf_token_works(program_manager):
    client = Client(enforce_csrf_checks=True)
    client.get("/account/login/")  # any page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    client.force_login(program_manager)
    response = client.post(
        PEOPLE, NEW_PERSON, content_type="application/json", headers={"x-csrftoken": csrf}
    )
    assert response.status_code == 201
    assert Person.objects.filter(email="new@example.org").exists()


def test_deactivated_persons_session_is_401(client, learner):
    client.force_login(learner)
    Person.objects.filter(pk=learner.pk).update(is_active=False)
    assert_not_authenticated(client.get(ME))


def test_tokens_cannot_be_listed_or_created_through_the_api(client, learner):
    # Tokens are made in the web UI or with the command, never with another token.
    _token, key = services.token_create(person=learner, name="script", scope="write")
    before = AccessToken.objects.count()
    response = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", headers=bearer(key)
    )
    assert response.status_code == 404
    assert AccessToken.objects.count() == before
