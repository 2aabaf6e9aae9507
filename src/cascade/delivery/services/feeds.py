"""Writes of the private calendar feeds: giving a person their secret address, and changing it.

The token is a capability (whoever holds the URL reads the feed), so it is long and random and
a person can replace it at any time; the old address then answers 404.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from cascade.core.services import audit_record
from cascade.delivery.models import CalendarFeed
from cascade.people.models import Person


def calendar_token_new() -> str:
    """43 URL-safe characters (256 bits): unguessable, and fits the 64-character column."""
    return secrets.token_urlsafe(32)


def calendar_feed_for(*, person: Person) -> CalendarFeed:
    """The person's feed, made on first use; two concurrent first uses end with one feed."""
    # get_or_create creates inside a savepoint and, when the unique constraint on ``person``
    # says another request won the race, reads that request's row instead.
    feed, _created = CalendarFeed.objects.get_or_create(
        person=person, defaults={"token": calendar_token_new()}
    )
    return feed


@transaction.atomic
def calendar_feed_reset(*, person: Person) -> CalendarFeed:
    """Give the person a new secret address, so a leaked one stops working at once."""
    feed = calendar_feed_for(person=person)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    feed.token = calendar_token_new()
    feed.full_clean()
    feed.save(update_fields=["token"])
    # The token itself never goes into the audit log: the log is readable by administrators.
    audit_record(actor=person, action="delivery.calendar_feed.reset", target=feed)
    return feed
