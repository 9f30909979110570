"""Test settings: fast hashing, local-memory cache, media in a throwaway folder."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403  (settings modules extend the base namespace)

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The signed-in user kept in the cache between requests, as production does with Redis
# (lms/accounts/backends.py): one process's memory cache is shared by all of a test's requests.
AUTH_USER_CACHE_SECONDS = 300
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pasapas-test-media-"))
JOB_FILES_ROOT = Path(tempfile.mkdtemp(prefix="pasapas-test-jobs-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests render templates without running collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["*"]
SERVE_MEDIA = True
# Tests publish many modules: their voice is made in the one test about it.
VOICE_ON_PUBLISH = False
# Nor their pictures' renditions, made on demand as before (tests/courses/test_pictures_warm.py).
PICTURES_WARM_ON_PUBLISH = False

# The test database is named explicitly, so the browser tests can tell whether it exists.
# SQLite: a file, not memory, because the browser tests' live server runs in another thread.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.mkdtemp()) / "test.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}"}  # noqa: F405
