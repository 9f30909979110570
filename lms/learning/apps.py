"""App configuration for learning."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "lms.learning"
    label = "learning"
    verbose_name = _("Learning records")

    def ready(self):
        from wagtail.signals import page_published

        from courses.models import ModulePage

        from . import personal_data  # noqa: F401  (declares its personal data to lms/privacy)
        from .voice import module_published

        page_published.connect(module_published, sender=ModulePage, dispatch_uid="learning-voice")
