"""One-time links that let a person choose a password (invitations and resets)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cascade.people.models import Person


def person_set_password_link(person: Person) -> str:
    """An absolute one-time link to choose a password.

    Built from ``SITE_URL``, never from the request's Host header. Django's token includes the
    password hash and last login, so it stops working once used (and after three days).
    """
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return f"{settings.SITE_URL}/account/set-password/{uid}/{token}/"
