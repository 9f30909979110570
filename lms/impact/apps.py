"""App configuration for impact."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    name = "lms.impact"
    label = "impact"
    verbose_name = _("Impact")

    def ready(self):
        from django.db.backends.signals import connection_created

        # tasks registers the impact job handlers, audit the change log's sentences,
        # personal_data what it holds about people (lms/personal_data.py).
        from . import audit, personal_data, signals, tasks  # noqa: F401
        from .rollup_queries import sqlite_functions_register

        signals.connect()
        connection_created.connect(sqlite_functions_register, dispatch_uid="impact-sqlite")
