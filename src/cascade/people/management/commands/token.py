"""`python -m cascade token EMAIL [--write] [--name NAME]`: a personal access token for scripts.

Prints only the key on stdout (shown once, stored hashed), so it can be captured:
``export CASCADE_TOKEN=$(python -m cascade token ops@example.org --write)``.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.core.errors import ApplicationError
from cascade.people.models import AccessToken, Person
from cascade.people.services import token_create


class Command(BaseCommand):
    help = (
        "Create a personal access token for a person and print its key (read scope unless --write)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The person's email address.")
        parser.add_argument(
            "--write", action="store_true", help="Allow writes (POST, PATCH, PUT, DELETE) too."
        )
        parser.add_argument("--name", default="Command-line token", help="What will use it.")

    def handle(self, *args: Any, email: str, write: bool, name: str, **options: Any) -> None:
        person = Person.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"Nobody with the email {email!r} is in Cascade.")
        if not person.is_active:
            raise CommandError(f"{person.email} is deactivated; reactivate them first.")
        scope = AccessToken.Scope.WRITE if write else AccessToken.Scope.READ
        try:
            token, key = token_create(person=person, name=name, scope=scope)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(key)
        self.stderr.write(
            f"Token “{token.name}” ({scope}) for {person.email}; this is the only time the key "
            "is shown."
        )
