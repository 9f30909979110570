"""App configuration for learning."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "lms.learning"
    label = "learning"
    verbose_name = _("Learning records")

    def ready(self):
        from . import personal_data  # noqa: F401  (declares its personal data to lms/privacy)
