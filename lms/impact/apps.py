"""App configuration for impact."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    name = "lms.impact"
    label = "impact"
    verbose_name = _("Impact")

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import signals, tasks  # noqa: F401  (tasks registers the impact job handlers)
        from .rollup_queries import sqlite_functions_register

        signals.connect()
        connection_created.connect(sqlite_functions_register, dispatch_uid="impact-sqlite")
