from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The shell's top layer: navigation and the per-role home pages that compose every area."""

    name = "cascade.home"
    label = "home"
    verbose_name = _("Home")
