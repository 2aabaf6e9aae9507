from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolConfig(AppConfig):
    name = "cascade.pool"
    label = "pool"
    verbose_name = _("Trainer pool")
