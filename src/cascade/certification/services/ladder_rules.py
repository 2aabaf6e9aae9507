"""Writes of the ladder's rules as program managers edit them from the ladder pages.

Saving a rule is :func:`~cascade.certification.services.awards.ladder_rule_save` (re-exported
here so the pages find every ladder-rule write in one module); this module adds taking a
course's own rule away, so the course follows the default ladder again for that level.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cascade.certification import rules
from cascade.certification.models import LadderRule, Level
from cascade.certification.services.awards import ladder_rule_save
from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.services import audit_record
from cascade.people.models import Person

__all__ = ["ladder_rule_reset", "ladder_rule_save"]


@transaction.atomic
def ladder_rule_reset(*, course: Any, level: str, actor: Person) -> bool:
    """Delete ``course``'s own rule for ``level`` so the default applies again; the removed
    values go to the audit log, because nothing else keeps them. Returns whether a rule was
    removed (resetting twice is harmless and audits once)."""
    if not rules.can_award(actor):
        raise Forbidden(_("Only program managers change the ladder."))
    if course is None:
        # The default has nothing to fall back on but the shipped rules; changing it is an edit.
        raise ApplicationError(_("Only a course's own rule can be reset."), code="bad_scope")
    if level not in Level.values:
        raise ApplicationError(_("Unknown level “%(l)s”.") % {"l": level}, code="bad_level")
    rule = LadderRule.objects.select_for_update().filter(course=course, level=level).first()
    if rule is None:
        return False
    audit_record(
        actor=actor,
        action="ladder_rule_reset",
        target=rule,
        changes={
            "course": course.pk,
            "level": level,
            "removed": {
                "requirements": rule.requirements,
                "valid_months": rule.valid_months,
                "renewal": rule.renewal,
            },
        },
    )
    rule.delete()
    return True
