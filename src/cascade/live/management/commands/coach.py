"""`python -m cascade coach <subcommand>`: the question coach on the command line.

``coach classify`` reads questions one a line on standard input (blank lines skipped) and prints
one JSON object a line: ``{"question": ..., "level": ..., "open": ..., "confident": ...}``, so
a plan can be checked from a text file or piped into other tools. Each subcommand is a
``Subcommand`` in ``SUBCOMMANDS``; add one there.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper

from cascade.live.coach import classify


def _lines(stream: Iterable[str]) -> Iterator[str]:
    """The non-blank lines of ``stream``, stripped (and without a byte-order mark)."""
    for line in stream:
        text = line.strip().lstrip("\ufeff").strip()
        if text:
            yield text


def classify_add_arguments(parser: ArgumentParser) -> None:
    """``classify`` takes no options: the questions come on standard input."""


def classify_run(*, options: dict[str, Any], stdin: Iterable[str], stdout: OutputWrapper) -> None:
    for question in _lines(stdin):
        result = classify(question)
        record = {
            "question": result.question,
            "level": result.level,
            "open": result.open,
            "confident": result.confident,
        }
        stdout.write(json.dumps(record))


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[ArgumentParser], None]
    run: Callable[..., None]


SUBCOMMANDS: dict[str, Subcommand] = {
    "classify": Subcommand(
        "Classify questions (one a line on standard input) by Bloom level and open/closed; "
        "print one JSON object a line.",
        classify_add_arguments,
        classify_run,
    ),
}


class Command(BaseCommand):
    help = "The question coach: `coach classify` reads questions on stdin and prints JSON lines."
    # call_command(..., stdin=StringIO(...)) in tests; the shell's standard input otherwise.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, command in SUBCOMMANDS.items():
            command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))

    def handle(self, *args: Any, **options: Any) -> None:
        command = SUBCOMMANDS[options.pop("subcommand")]
        stdin = options.pop("stdin", None) or sys.stdin
        command.run(options=options, stdin=stdin, stdout=self.stdout)
