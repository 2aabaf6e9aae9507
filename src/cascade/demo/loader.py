"""Loading the whole demo in one transaction: the organisation, its learning data, then its
training calendar (delivery)."""

from __future__ import annotations

import random

from django.db import transaction

from cascade.certification import services as certification_services
from cascade.core.models import Notification
from cascade.demo.certification import load_certification
from cascade.demo.delivery import DeliverySummary, load_delivery
from cascade.demo.learning import load_learning
from cascade.demo.organisation import (
    DEMO_SEED,
    ORG_NAME,
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
from cascade.demo.pool import load_pool


def load_demo(stdout: Writer | None = None, *, learning: bool = True) -> DemoSummary:
    """Load (or complete) the demo organisation; a second run reads a little and writes nothing.

    ``learning=False`` leaves out the programs and cohorts, the training calendar that needs
    them and the certification defaults (tests of the organisation alone).
    """
    summary = DemoSummary()
    delivery = DeliverySummary()
    certified = 0
    with transaction.atomic():
        units = load_org_units(summary)
        specs = plan_people(random.Random(DEMO_SEED))
        people, created = load_people(specs, units, summary)
        load_scoped_roles(specs, people, units, summary)
        load_activity(people, created)
        load_notifications(people, summary)
        if learning:
            load_learning(random.Random(DEMO_SEED), summary)
            delivery = load_delivery(random.Random(DEMO_SEED))
            # The shipped framework and rubrics; left alone when already there (or edited).
            certification_services.defaults_install()
            certified = load_certification(random.Random(DEMO_SEED))
            certified += load_pool(random.Random(DEMO_SEED))
        if summary.changed or delivery.changed or certified:
            # Demo people are not real: their notifications stay in the app, none is emailed.
            Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).update(
                email_status=Notification.EmailStatus.NONE
            )
    if stdout is not None:
        stdout.write(summary_text(summary, delivery))
    return summary


def summary_text(summary: DemoSummary, delivery: DeliverySummary) -> str:
    """The organisation's summary, with a line for the training calendar when it was added."""
    text = format_summary(summary)
    if not delivery.changed:
        return text
    head, sign_in, rest = text.partition("Sign in at ")
    if not summary.changed:
        head = f"{ORG_NAME} was already loaded ({summary.people} people).\n"
    return f"{head}{delivery.describe()}\n{sign_in}{rest}"
