"""Development settings: debug on, local everything."""

from .base import *  # noqa: F403  (settings modules extend the base namespace)
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
