"""Role checks shared by every view: who holds a role, and the decorator's answers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from cascade.core.permissions import has_any_role, role_required


@role_required("program_manager", "master_trainer")
def _view(request):
    return HttpResponse("ok")


def _request(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


def test_has_any_role_true_for_a_held_role(make_person):
    person = make_person("trainer", "learner")
    assert has_any_role(person, "trainer") is True
    assert has_any_role(person, "program_manager", "learner") is True


def test_has_any_role_false_for_roles_not_held(make_person):
    person = make_person("trainer")
    assert has_any_role(person, "program_manager", "master_trainer") is False


def test_has_any_role_false_for_anonymous_and_inactive(make_person):
    assert has_any_role(AnonymousUser(), "learner") is False
    inactive = make_person("program_manager", is_active=False)
    assert has_any_role(inactive, "program_manager") is False


def test_has_any_role_true_for_a_superuser_without_roles(make_person):
    admin = make_person(is_superuser=True)
    assert has_any_role(admin, "program_manager") is True


def test_role_required_lets_a_holder_through(make_person):
    response = _view(_request(make_person("master_trainer")))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_role_required_refuses_others_with_403(make_person):
    with pytest.raises(PermissionDenied):
        _view(_request(make_person("learner")))


def test_role_required_sends_anonymous_people_to_sign_in(db):
    response = _view(_request(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/somewhere/"
