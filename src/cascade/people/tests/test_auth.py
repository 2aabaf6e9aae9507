"""Signing in and out, throttling, password reset and change."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from cascade.people.tests.factories import TEST_PASSWORD, PersonFactory

LOGIN = "/account/login/"
WRONG = "Please enter a correct email and password. Note that both fields may be case-sensitive."


@pytest.fixture
def robin(db):
    return PersonFactory(roles=["learner"], email="robin@example.org", display_name="Robin Example")


def _login(client: Client, email: str, password: str = TEST_PASSWORD, ip: str = "10.0.0.1", **kw):
    return client.post(LOGIN, {"username": email, "password": password, **kw}, REMOTE_ADDR=ip)


# --- Signing in -----------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["robin@example.org", "ROBIN@Example.ORG"])
def test_sign_in_with_email_in_any_case(client, robin, email):
    # when Robin signs in, typing the email in any case
    response = _login(client, email)
    # then they land on their home page, signed in
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(robin.pk)
    assert "Welcome, Robin" in client.get("/").content.decode()


def test_sign_in_with_a_wrong_password_shows_an_error(client, robin):
    response = _login(client, "robin@example.org", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG]
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "_auth_user_id" not in client.session


def test_sign_in_of_a_deactivated_person_fails_like_a_wrong_password(client, db):
    PersonFactory(email="gone@example.org", is_active=False)
    response = _login(client, "gone@example.org")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG]
    assert "_auth_user_id" not in client.session


def test_sign_in_gives_a_new_session_id(client, robin):
    # given an anonymous session that an attacker may know
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    assert client.cookies["sessionid"].value == before
    # when Robin signs in
    _login(client, "robin@example.org")
    # then the session has a new id and the old one is gone
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(robin.pk)


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://evil.example/people/", "javascript:x"],
)
def test_next_pointing_elsewhere_is_ignored(client, robin, next_url):
    response = _login(client, "robin@example.org", next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_on_this_site_is_honoured(client, robin):
    response = _login(client, "robin@example.org", next="/people/")
    assert response.status_code == 302
    assert response["Location"] == "/people/"


def test_next_from_the_query_string_reaches_the_form(client, db):
    html = client.get(LOGIN, {"next": "/people/"}).content.decode()
    assert '<input type="hidden" name="next" value="/people/">' in html
    html = client.get(LOGIN, {"next": "https://evil.example/"}).content.decode()
    assert '<input type="hidden" name="next" value="">' in html


def test_signed_in_person_opening_the_login_page_goes_home(client, robin):
    client.force_login(robin)
    response = client.get(LOGIN, {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Throttling -----------------------------------------------------------------------------


def test_failed_sign_ins_lock_out_the_email_from_that_address_only(client, robin, settings):
    # given the failure limit reached for Robin's email from one address
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "robin@example.org", "guess", ip="10.0.0.1").status_code == 200
    last = _login(client, "robin@example.org", "guess", ip="10.0.0.1")
    assert last.status_code == 429
    # when the right password is tried from that address
    attacker = _login(Client(), "robin@example.org", ip="10.0.0.1")
    # then it is locked out, with the locked-out page
    assert attacker.status_code == 429
    assert "Too many failed sign-ins" in attacker.content.decode()
    assert "people/locked_out.html" in [t.name for t in attacker.templates]
    # but Robin, from another address, signs in as usual
    victim = Client()
    response = _login(victim, "robin@example.org", ip="10.0.0.2")
    assert response.status_code == 302
    assert victim.session["_auth_user_id"] == str(robin.pk)


def test_changing_the_case_of_the_email_does_not_dodge_the_lockout(client, robin, settings):
    # given the limit reached with varying capitalisation of the same email
    for i in range(settings.AXES_FAILURE_LIMIT):
        email = "robin@example.org" if i % 2 else "ROBIN@example.org"
        _login(client, email, "guess", ip="10.0.0.1")
    # when another spelling is tried with the right password
    response = _login(Client(), "Robin@Example.org", ip="10.0.0.1")
    # then it is locked out too
    assert response.status_code == 429


def test_failures_below_the_limit_do_not_lock_out(client, robin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "robin@example.org", "guess", ip="10.0.0.1")
    response = _login(client, "robin@example.org", ip="10.0.0.1")
    assert response.status_code == 302


# --- Signing out ----------------------------------------------------------------------------


def test_sign_out_is_post_and_ends_the_session(client, robin):
    # given Robin signed in
    _login(client, "robin@example.org")
    key = client.cookies["sessionid"].value
    # when a GET is made to the logout address, nothing happens
    assert client.get("/account/logout/").status_code == 405
    assert client.get("/").status_code == 200
    # when Robin signs out with a POST
    response = client.post("/account/logout/")
    # then the session is gone and pages ask for sign-in again
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302


# --- Password reset -------------------------------------------------------------------------


def _link_path(body: str, site_url: str) -> str:
    link = body.strip().splitlines()[-1]
    assert link.startswith(site_url + "/account/set-password/")
    return link[len(site_url) :]


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, robin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/account/password-reset/", {"email": "nobody@example.org"})
        known = client.post("/account/password-reset/", {"email": "robin@example.org"})
    assert unknown.status_code == known.status_code == 200
    for response in (unknown, known):
        assert response.templates[0].name == "people/password_reset_sent.html"
        assert "If an account uses that address" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["robin@example.org"]]


def test_password_reset_link_uses_site_url_whatever_the_host_header(
    client, robin, settings, django_capture_on_commit_callbacks
):
    # given a request that claims another host
    settings.SITE_URL = "https://cascade.example"
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    # when a reset is asked for
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/account/password-reset/", {"email": "robin@example.org"}, HTTP_HOST="evil.example"
        )
    # then exactly one email is sent, with a link on the site's own address
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example" not in body
    assert re.search(
        r"^https://cascade\.example/account/set-password/[\w-]+/[\w-]+/$", body, re.MULTILINE
    )


def test_password_reset_link_works_once(
    client, robin, settings, django_capture_on_commit_callbacks
):
    # given a reset email
    settings.SITE_URL = "https://cascade.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/password-reset/", {"email": "robin@example.org"})
    path = _link_path(mail.outbox[0].body, settings.SITE_URL)
    # when Robin opens the link and chooses a password
    opened = client.get(path)
    assert opened.status_code == 302
    form_page = client.get(opened["Location"])
    assert "Choose your password" in form_page.content.decode()
    saved = client.post(
        opened["Location"],
        {"new_password1": "a-fresh-pass-phrase", "new_password2": "a-fresh-pass-phrase"},
    )
    # then the password is set and Robin is sent to sign in
    assert saved.status_code == 302
    assert saved["Location"] == LOGIN
    robin.refresh_from_db()
    assert robin.check_password("a-fresh-pass-phrase")
    assert _login(Client(), "robin@example.org", "a-fresh-pass-phrase").status_code == 302
    # and the same link no longer works
    again = Client().get(path, follow=True)
    html = again.content.decode()
    assert "<h1>This link no longer works</h1>" in html
    assert "Choose your password" not in html
    assert 'name="new_password1"' not in html


def test_tampered_reset_link_does_not_work(client, robin):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(robin.pk))
    response = client.get(f"/account/set-password/{uid}/abc-123/", follow=True)
    assert "This link no longer works" in response.content.decode()


# --- Password change ------------------------------------------------------------------------


def test_password_change_ends_other_sessions(robin):
    # given Robin signed in on two devices
    laptop, phone = Client(), Client()
    _login(laptop, "robin@example.org")
    _login(phone, "robin@example.org", ip="10.0.0.2")
    assert phone.get("/").status_code == 200
    # when Robin changes the password on the laptop
    response = laptop.post(
        "/account/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-fresh-pass-phrase",
            "new_password2": "a-fresh-pass-phrase",
        },
    )
    # then the laptop stays signed in, and the phone is signed out
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert laptop.get("/").status_code == 200
    phone_response = phone.get("/")
    assert phone_response.status_code == 302
    assert phone_response["Location"] == "/account/login/?next=/"


def test_password_change_with_a_wrong_old_password_changes_nothing(client, robin):
    _login(client, "robin@example.org")
    response = client.post(
        "/account/password/",
        {
            "old_password": "wrong",
            "new_password1": "a-fresh-pass-phrase",
            "new_password2": "a-fresh-pass-phrase",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["old_password"]
    robin.refresh_from_db()
    assert robin.check_password(TEST_PASSWORD)


def test_password_change_requires_sign_in(client, db):
    response = client.get("/account/password/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/account/password/"
