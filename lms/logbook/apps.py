"""App configuration for the trainer logbook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogbookConfig(AppConfig):
    name = "lms.logbook"
    label = "logbook"
    verbose_name = _("Trainer logbook")

    def ready(self):
        # Imported for what they register: the job handlers and the change log's sentences.
        from . import audit, tasks  # noqa: F401
