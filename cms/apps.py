"""App configuration for the site shell."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")

    def ready(self):
        from . import personal_data  # noqa: F401  (declares its personal data to lms/privacy)
