"""App configuration for the trainer logbook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogbookConfig(AppConfig):
    name = "lms.logbook"
    label = "logbook"
    verbose_name = _("Trainer logbook")

    def ready(self):
        # Imported for what they register: the job handlers, the change log's sentences and
        # the personal data the logbook holds (lms/personal_data.py).
        from . import audit, personal_data, tasks  # noqa: F401
