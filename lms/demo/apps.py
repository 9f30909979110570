"""App configuration for the demo builder (its `seed_demo` command)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "lms.demo"
    label = "demo"
    verbose_name = _("Demo")
