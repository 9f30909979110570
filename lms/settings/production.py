"""Production settings: secrets from the environment, HTTPS only, no default secret."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403  (settings modules extend the base namespace)
from .base import env_bool, env_list

DEBUG = False
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the site's host names, comma separated.")
if H5P_HOST:  # noqa: F405 (the H5P player's own host name, from H5P_ORIGIN)
    ALLOWED_HOSTS.append(H5P_HOST)  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Sessions: in the database, read from Redis first when REDIS_URL is set (base.py).

# Heavy exports and imports run on a worker (`python manage.py db_worker`), not in the request.
if os.environ.get("TASKS_BACKEND", "database") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
