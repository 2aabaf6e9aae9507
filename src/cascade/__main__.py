"""`python -m cascade ...`: the one command-line entry, a thin wrapper around manage.py."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cascade.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"{sys.executable} -m cascade", *sys.argv[1:]])


if __name__ == "__main__":
    main()
