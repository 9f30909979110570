"""App configuration for accounts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"
    verbose_name = _("People and associations")

    def ready(self):
        from . import audit  # noqa: F401  (registers the change log's sentences of accounts)
        from .backends import connect_signals

        connect_signals()
