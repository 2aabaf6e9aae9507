"""`python -m cascade certifications`: the daily certification sweep, for cron.

Renews certifications whose renewal evidence is complete, sends the 90/30/7-day expiry
reminders (each once) and lapses what has expired, which takes the person out of the active
pool. Safe to run as often as you like.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from cascade.certification.services.awards import certifications_sweep


class Command(BaseCommand):
    help = "Renew, remind and lapse certifications that are due (run daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(certifications_sweep()))
