"""`python -m cascade bench <subcommand>`: performance measurements, one module per subcommand.

Each subcommand module offers ``HELP``, ``add_arguments(parser)`` and
``run(options=..., stdout=..., stderr=...)``; register it in ``SUBCOMMANDS``.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cascade.bench import coach, cohort, enrol, live, optimizer, pages


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[ArgumentParser], None]
    run: Callable[..., None]


SUBCOMMANDS: dict[str, Subcommand] = {
    "pages": Subcommand(pages.HELP, pages.add_arguments, pages.run),
    "cohort": Subcommand(cohort.HELP, cohort.add_arguments, cohort.run),
    "enrol": Subcommand(enrol.HELP, enrol.add_arguments, enrol.run),
    "coach": Subcommand(coach.HELP, coach.add_arguments, coach.run),
    "live": Subcommand(live.HELP, live.add_arguments, live.run),
    "optimizer": Subcommand(optimizer.HELP, optimizer.add_arguments, optimizer.run),
}


class Command(BaseCommand):
    help = (
        "Measure Cascade's performance: `bench pages`, `bench cohort`, `bench enrol`, "
        "`bench coach`, `bench live`, `bench optimizer`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, command in SUBCOMMANDS.items():
            command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))

    def handle(self, *args: Any, **options: Any) -> None:
        command = SUBCOMMANDS[options.pop("subcommand")]
        command.run(options=options, stdout=self.stdout, stderr=self.stderr)
