"""`python -m cascade token EMAIL [--write] [--name NAME]`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cascade.people.models import AccessToken, Person
from cascade.people.services import token_authenticate


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_read_token_by_default(learner):
    out, err = run("learner@example.org")
    key = out.strip()
    assert out == key + "\n"
    assert key.startswith("csc_")
    token = token_authenticate(key)
    assert token is not None
    assert (token.person, token.scope, token.name) == (learner, "read", "Command-line token")
    assert key not in err


def test_write_scope_and_name(learner):
    out, _err = run("LEARNER@example.org", "--write", "--name", "HR sync")
    token = token_authenticate(out.strip())
    assert token is not None
    assert (token.person, token.scope, token.name) == (learner, "write", "HR sync")


def test_unknown_email_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"^Nobody with the email 'ghost@example\.org' is in"):
        run("ghost@example.org")
    assert AccessToken.objects.count() == 0


def test_deactivated_person_gets_no_token(learner):
    Person.objects.filter(pk=learner.pk).update(is_active=False)
    with pytest.raises(CommandError, match=r"^learner@example\.org is deactivated"):
        run("learner@example.org")
    assert AccessToken.objects.count() == 0
