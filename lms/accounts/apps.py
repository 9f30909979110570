"""App configuration for accounts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"
    verbose_name = _("People and associations")

    def ready(self):
        # Imported for what they register: the change log's sentences of accounts, and the
        # personal data it holds (lms/personal_data.py).
        from . import audit, personal_data  # noqa: F401
        from .backends import connect_signals
        from .sign_out import sign_out_connect

        connect_signals()
        sign_out_connect()
