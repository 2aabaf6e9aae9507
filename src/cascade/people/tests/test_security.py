"""The security baseline on the people pages: CSRF, headers, escaping, deploy checks."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from cascade.people.models import Person
from cascade.people.tests.factories import TEST_PASSWORD, PersonFactory

SVG = "<svg onload=alert(1)>"
TRICKY = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
TRICKY_ESCAPED = "&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; &#x27; \\&#x27; 碁 \\ \\\\"


# --- CSRF -----------------------------------------------------------------------------------


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(learner):
    # given a signed-in person on a client that enforces CSRF like a browser
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    # when a form is posted without the token (a cross-site request)
    response = client.post("/me/", {"display_name": "Hacked", "time_zone": "UTC"})
    # then it is refused with the "form expired" page and nothing changed
    assert response.status_code == 403
    assert "The form was missing its security token." in response.content.decode()
    learner.refresh_from_db()
    assert learner.display_name == "Lee Learner"


def test_program_manager_action_without_csrf_token_is_refused(program_manager, make_person):
    target = make_person("learner")
    client = Client(enforce_csrf_checks=True)
    client.force_login(program_manager)
    response = client.post(f"/people/{target.pk}/deactivate/")
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active is True


def test_login_post_without_csrf_token_is_refused(db):
    PersonFactory(email="robin@example.org")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/account/login/", {"username": "robin@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_form_post_with_the_csrf_token_goes_through(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    page = client.get("/me/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/me/", {"csrfmiddlewaretoken": token, "display_name": "Lee L.", "time_zone": "UTC"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.display_name == "Lee L."


def test_htmx_requests_carry_the_csrf_token_in_a_header(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    page = client.get("/me/").content.decode()
    header = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", page)
    assert header is not None
    response = client.post(
        "/notifications/read/", headers={"HX-Request": "true", "X-CSRFToken": header.group(1)}
    )
    assert response.status_code == 204


# --- Headers --------------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("url", ["/account/login/", "/", "/people/", "/me/", "/notifications/"])
def test_pages_carry_a_strict_content_security_policy(client, program_manager, url):
    if url != "/account/login/":
        client.force_login(program_manager)
    response = client.get(url)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/account/login/", "/", "/people/", "/healthz"])
def test_pages_carry_the_other_security_headers(client, program_manager, url):
    client.force_login(program_manager)
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url", ["/account/login/", "/", "/people/", "/people/new/", "/me/", "/me/tokens/"]
)
def test_pages_have_no_inline_script_or_event_handlers(client, program_manager, url):
    # the CSP would block them, so they must not be needed
    if url != "/account/login/":
        client.force_login(program_manager)
    html = client.get(url).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    assert all(" src=" in s for s in scripts)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html)
    assert 'href="javascript:' not in html


# --- Escaping of user text ------------------------------------------------------------------


@pytest.fixture
def mallory(db):
    return PersonFactory(
        roles=["learner"],
        email="mallory@example.org",
        display_name=SVG,
        job_title=TRICKY,
        location="<img src=x onerror=alert(1)>",
    )


def test_display_name_is_escaped_in_the_directory(client, program_manager, mallory):
    client.force_login(program_manager)
    html = client.get("/people/").content.decode()
    assert "&lt;svg onload=alert(1)&gt;" in html
    assert SVG not in html
    assert TRICKY_ESCAPED in html
    assert "<svg onload" not in html


def test_display_name_is_escaped_on_the_profile(client, program_manager, mallory):
    client.force_login(program_manager)
    html = client.get(f"/people/{mallory.pk}/").content.decode()
    assert "<title>&lt;svg onload=alert(1)&gt; · Cascade</title>" in html
    assert "<h1>&lt;svg onload=alert(1)&gt;" in html
    assert TRICKY_ESCAPED in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<svg onload" not in html
    assert "<img src=x" not in html


def test_display_name_is_escaped_where_it_shows_as_a_manager(client, program_manager, mallory):
    report = PersonFactory(manager=mallory, display_name="Report")
    client.force_login(program_manager)
    html = client.get(f"/people/{report.pk}/").content.decode()
    assert f'<a href="/people/{mallory.pk}/">&lt;svg onload=alert(1)&gt;</a>' in html


def test_own_display_name_is_escaped_in_the_top_bar(client, mallory):
    client.force_login(mallory)
    html = client.get("/").content.decode()
    assert '<a class="topbar__me" href="/me/">&lt;svg onload=alert(1)&gt;</a>' in html
    assert "<svg onload" not in html


def test_tricky_text_is_stored_as_typed(client, program_manager):
    # given a program manager adding a person whose name and job hold markup characters
    client.force_login(program_manager)
    client.post(
        "/people/new/",
        {
            "display_name": SVG,
            "email": "new@example.org",
            "job_title": TRICKY,
            "time_zone": "UTC",
            "r-roles": ["learner"],
        },
    )
    # then the text is stored exactly as typed (escaping happens on output)
    person = Person.objects.get(email="new@example.org")
    assert person.display_name == SVG
    assert person.job_title == TRICKY
    html = client.get(f"/people/{person.pk}/", follow=True).content.decode()
    assert "<svg onload" not in html


def test_audit_log_escapes_what_people_typed(client, program_manager, mallory):
    from cascade.people import services

    services.person_update(person=mallory, actor=program_manager, location=SVG)
    client.force_login(program_manager)
    html = client.get("/audit/").content.decode()
    assert "&lt;svg onload=alert(1)&gt;" in html
    assert "<svg onload" not in html


# --- Deployment checks ----------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path):
    # given the production variables, and no development leftovers
    env = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is the test suite's own (conftest), not production's
        if k
        not in {
            "DATABASE_URL",
            "DEBUG",
            "SECRET_KEY_FILE",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
        and not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        {
            "SECRET_KEY": secrets.token_urlsafe(64),
            "SITE_URL": "https://cascade.example",
            "ALLOWED_HOSTS": "cascade.example",
            "CASCADE_VAR_DIR": str(tmp_path / "var"),
        }
    )
    # when Django's deployment checks run
    result = subprocess.run(
        [sys.executable, "-m", "cascade", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then they pass
    assert result.returncode == 0, (
        "`python -m cascade check --deploy --fail-level WARNING` failed with the production "
        "variables set; settings.py needs fixing (not the tests):\n" + result.stdout + result.stderr
    )
    assert "System check identified no issues" in result.stdout
