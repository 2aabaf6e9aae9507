"""Loading the whole demo: the organisation, then its learning data, in one transaction."""

from __future__ import annotations

import random

from django.db import transaction

from cascade.core.models import Notification
from cascade.demo.learning import load_learning
from cascade.demo.organisation import (
    DEMO_SEED,
    DemoSummary,
    Writer,
    format_summary,
    load_activity,
    load_notifications,
    load_org_units,
    load_people,
    load_scoped_roles,
    plan_people,
)


def load_demo(stdout: Writer | None = None, *, learning: bool = True) -> DemoSummary:
    """Load (or complete) the demo organisation; a second run reads a little and writes nothing.

    ``learning=False`` leaves out the programs and cohorts (tests of the organisation alone).
    """
    summary = DemoSummary()
    with transaction.atomic():
        units = load_org_units(summary)
        specs = plan_people(random.Random(DEMO_SEED))
        people, created = load_people(specs, units, summary)
        load_scoped_roles(specs, people, units, summary)
        load_activity(people, created)
        load_notifications(people, summary)
        if learning:
            load_learning(random.Random(DEMO_SEED), summary)
        if summary.changed:
            # Demo people are not real: their notifications stay in the app, none is emailed.
            Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).update(
                email_status=Notification.EmailStatus.NONE
            )
    if stdout is not None:
        stdout.write(format_summary(summary))
    return summary
