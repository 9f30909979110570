"""App configuration for impact."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    name = "lms.impact"
    label = "impact"
    verbose_name = _("Impact")

    def ready(self):
        from . import signals, tasks  # noqa: F401  (tasks registers the impact job handlers)

        signals.connect()
