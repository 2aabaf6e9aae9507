"""Navigation per role: which areas a person sees in the top bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cascade.people.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# (label, url name, roles that see it; empty = everyone signed in). The bar holds about ten
# items at laptop width, so a program manager's org units and audit log are reached from the
# People page (see SECTIONS), not the bar.
NAV: list[tuple[Any, str, tuple[str, ...]]] = [
    (_("Home"), "home:index", ()),
    (_("My learning"), "learning:my_programs", (Role.TRAINER, Role.LEARNER)),
    (_("Programs"), "learning:programs", (Role.PROGRAM_MANAGER, Role.MASTER_TRAINER)),
    (_("Cohorts"), "learning:cohorts", (Role.PROGRAM_MANAGER, Role.MASTER_TRAINER)),
    (_("Sessions"), "delivery:sessions", ()),
    (_("Courses"), "delivery:courses", (Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER)),
    (
        _("Certification"),
        "certification:observations",
        (Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER),
    ),
    (_("Pool"), "pool:bench", (Role.PROGRAM_MANAGER,)),
    (_("Availability"), "pool:my_availability", (Role.TRAINER, Role.MASTER_TRAINER)),
    (_("To review"), "learning:review_queue", (Role.MASTER_TRAINER, Role.MANAGER)),
    (_("People"), "people:directory", (Role.PROGRAM_MANAGER,)),
    (_("My team"), "people:team", (Role.MANAGER,)),
]

# Pages that belong to a bar item without having their own: being on them marks it current.
SECTIONS: dict[str, tuple[str, ...]] = {
    "people:directory": ("people:org_units", "core:audit_log"),
    # Teach-backs, paths, certifications, calibration, rubrics and frameworks: one area, one
    # item; the area's own sub-navigation (certification/_subnav.html) reaches each page.
    "certification:observations": (
        "certification:my_path",
        "certification:certifications",
        "certification:growth",
        "certification:calibration_list",
        "certification:ladder",
        "certification:rubrics",
        "certification:frameworks",
    ),
}


def nav_for(user: Any, path: str) -> list[NavItem]:
    items = []
    for label, name, roles in NAV:
        if roles and not user.has_role(*roles):
            continue
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        active = active or any(path.startswith(reverse(n)) for n in SECTIONS.get(name, ()))
        items.append(NavItem(label=str(label), url=url, active=active))
    return items
