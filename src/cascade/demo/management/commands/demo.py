"""`python -m cascade demo`: load the Northbridge Health demo organisation and print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cascade.demo.loader import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo organisation (Northbridge Health, about 150 people) and print one login "
        "per role. Safe to run again: it only adds what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        load_demo(stdout=self.stdout)
