from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "cascade.learning"
    label = "learning"
    verbose_name = _("Learning")
