"""`python -m cascade generate --scale large`: a synthetic organisation for benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cascade.demo.generator import SCALES, generate


class Command(BaseCommand):
    help = (
        "Generate a synthetic organisation for benchmarks: --scale large (50,000 people) or "
        "small (2,000, for tests). Runs once per scale: a second run says so and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="large")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        scale = SCALES[options["scale"]]
        result = generate(scale, seed=options["seed"], stdout=self.stdout)
        if not result.created:
            self.stdout.write(
                f"The {scale.name} organisation already exists ({result.people} people in "
                f"{result.units} org units); nothing to do."
            )
            return
        roles = ", ".join(f"{n} {role}" for role, n in sorted(result.roles.items()))
        self.stdout.write(
            f"Generated the {scale.name} organisation: {result.people} people in {result.units} "
            f"org units ({roles}) in {result.seconds:.1f} s."
        )
