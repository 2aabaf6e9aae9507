"""What each role's home page shows: composed from the areas' own selectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from cascade.core.selectors import audit_entries, notifications_for
from cascade.delivery.selectors import my_upcoming
from cascade.learning.selectors import (
    ProgramRow,
    cohorts_coached,
    program_rows,
    review_waiting_count,
)
from cascade.people.models import Person, Role
from cascade.people.rules import people_scope_q


@dataclass
class HomeData:
    roles: list[str]
    notifications: list[Any] = field(default_factory=list)
    pm: dict[str, Any] = field(default_factory=dict)
    reports: list[Person] = field(default_factory=list)
    programs: list[ProgramRow] = field(default_factory=list)
    coached: list[Any] = field(default_factory=list)
    to_review: int = 0
    sessions: list[Any] = field(default_factory=list)


def home_for(*, person: Person) -> HomeData:
    """Everything the home page needs, in a fixed number of queries whatever the data size."""
    roles = sorted(person.roles) if not person.is_superuser else [r.value for r in Role]
    data = HomeData(roles=roles)
    data.notifications = list(notifications_for(recipient=person).filter(read_at__isnull=True)[:5])
    # Anyone can be enrolled in a program (candidates, learners, even managers).
    data.programs = program_rows(person.pk)
    data.sessions = my_upcoming(person, limit=5)
    if person.has_role(Role.MASTER_TRAINER, Role.MANAGER, Role.TRAINER, Role.PROGRAM_MANAGER):
        data.to_review = review_waiting_count(person)
    if person.has_role(Role.MASTER_TRAINER):
        data.coached = list(cohorts_coached(person.pk)[:6])
    if person.has_role(Role.PROGRAM_MANAGER):
        people = Person.objects.all()
        scope = people_scope_q(person)
        if scope is not None:
            people = people.filter(scope)
        # One scan for all three figures rather than three COUNT(*) queries.
        counts = people.filter(is_active=True).aggregate(
            people=Count("pk"),
            never_signed_in=Count("pk", filter=Q(last_login__isnull=True)),
            invited_pending=Count(
                "pk", filter=Q(invited_at__isnull=False, last_login__isnull=True)
            ),
        )
        data.pm = {
            **counts,
            "recent_changes": list(audit_entries()[:5])
            if person.manages_whole_organisation
            else [],
        }
    if person.has_role(Role.MANAGER):
        data.reports = list(
            Person.objects.filter(manager=person, is_active=True)
            .select_related("org_unit")
            .order_by("display_name")[:10]
        )
    return data
