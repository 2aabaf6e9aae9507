"""`python -m cascade serve`: uvicorn (ASGI) and the task worker side by side; Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Cascade with uvicorn and run the background task worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-worker", action="store_true", help="do not start db_worker")

    def handle(self, *args: Any, **options: Any) -> None:
        py = sys.executable
        procs = [
            subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [
                    py,
                    "-m",
                    "uvicorn",
                    "cascade.asgi:application",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--workers",
                    str(options["workers"]),
                    "--no-access-log",
                    "--lifespan",
                    "off",
                ]
            )
        ]
        if not options["no_worker"]:
            # -v0: the worker logs only problems, not a line per task.
            procs.append(subprocess.Popen([py, "-m", "cascade", "db_worker", "-v0"]))  # noqa: S603
        self.stdout.write(
            f"Cascade is at http://{options['host']}:{options['port']}/ — press Ctrl-C to stop."
        )

        def stop(*_: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.stdout.write("Stopped.")
