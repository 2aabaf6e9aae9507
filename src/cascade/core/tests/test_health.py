from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_with_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/"


def test_home_for_program_manager(client, program_manager):
    client.force_login(program_manager)
    response = client.get("/")
    assert response.status_code == 200
    assert "Program management" in response.content.decode()
