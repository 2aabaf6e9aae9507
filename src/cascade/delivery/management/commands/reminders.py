"""`python -m cascade reminders`: send the session reminders that are due, for cron.

The task worker already sends each reminder when it falls due; this sweep is the safety net
(a worker that was down, a backend that cannot defer). It is safe to run as often as you like:
a reminder that went out never goes out twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cascade.delivery.services.reminders import reminders_send


class Command(BaseCommand):
    help = "Send the reminders before session parts that are due and not sent yet (for cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"Sent {sent} reminder{'' if sent == 1 else 's'}.")
