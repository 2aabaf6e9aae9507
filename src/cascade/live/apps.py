from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "cascade.live"
    label = "live"
    verbose_name = _("Live room")
