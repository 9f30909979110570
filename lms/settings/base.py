"""Settings shared by every environment, read from environment variables with safe defaults."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development defaults; production.py refuses to start without a real secret.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "lms.accounts",
    "lms.learning",
    "lms.logbook",
    "lms.impact",
    "lms.privacy",
    "lms.demo",
    "courses",
    "cms",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "courses.h5p.origin.PlayerHostMiddleware",
    "lms.accounts.security.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lms.compression.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lms.accounts.sign_out.SignOutClearsSiteDataMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "lms.accounts.context_processors.roles",
            ],
        },
    },
]
# The context processors that say which kind of visitor a page frame is for (courses/framing.py):
# their values are rendered into the frame and key it. Only what many visitors share (roles),
# never who they are.
PAGE_FRAME_CONTEXT_PROCESSORS = ["lms.accounts.context_processors.roles"]

# Database: SQLite (WAL) in the project folder unless DATABASE_URL names another one.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            # Values bound on the server, and a query text seen this many times on a
            # connection is prepared there (psycopg 3): the learner pages' and the
            # statement writer's small queries skip their parse and plan. Not behind a
            # pooler in transaction mode (PgBouncer < 1.21), which cannot keep them.
            "server_side_binding": True,
            "prepare_threshold": int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE avoids
                # "database is locked" upgrades inside transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A read replica of the primary (PostgreSQL streaming replication), for the funders'
# dashboards, exports and API only: lms/db_router.py sends their reads there, and every
# write, every migration and everyone else's reads to "default". See docs/deploy.md.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_READ_NAMESPACES = ["impact"]
REPLICA_READ_PATH_PREFIXES = ["/api/"]
# After a write, the same browser reads the primary this long (the replica's lag, with room).
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "10"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60),
        # A test run creates no second database: "replica" reads the test database.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["lms.db_router.ReplicaRouter"]
    MIDDLEWARE.append("lms.db_router.ReplicaReadsMiddleware")

# Cache: local memory by default, Redis (shared between processes) when REDIS_URL is set.
# CACHE_KEY_PREFIX tells apart sites (or benchmark databases) that share one Redis database.
# Django's Redis backend, keeping its redis-py clients instead of building one per operation
# (lms/redis_cache.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "lms.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "pasapas"),
            # Redis is a cache: when it does not answer, the site serves without it
            # (lms/redis_cache.py), after these seconds at most, not a request's lifetime.
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT_SECONDS", "1")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT_SECONDS", "1")),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pasapas",
        }
    }

# Sessions live in the database, which every server process shares. With Redis (REDIS_URL),
# in every environment, they are read from Redis first and written through to the database
# (`cached_db`): no query per request for the session. Only over a cache every process
# shares: over a per-process cache, a session ended in one process would live on in another.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, with the signed-in user's row kept in the shared cache between
# requests (lms/accounts/backends.py); only over a cache every process shares.
AUTHENTICATION_BACKENDS = ["lms.accounts.backends.UserBackend"]
AUTH_USER_CACHE_SECONDS = 300 if CACHES["default"]["BACKEND"].endswith("RedisCache") else 0
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: French (Belgium) first; Dutch and English next.
LANGUAGE_CODE = "fr-be"
LANGUAGES = [
    ("fr-be", _("French")),
    ("nl-be", _("Dutch")),
    ("en", _("English")),
]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The H5P player, pinned in package-lock.json and served like our own files (no CDN).
    ("h5p-standalone", BASE_DIR / "node_modules" / "h5p-standalone" / "dist"),
]


def h5p_origin_read(value: str) -> tuple[str, str]:
    """H5P_ORIGIN's origin and host name, ("", "") when empty; refused unless an origin."""
    value = value.strip().rstrip("/")
    if not value:
        return "", ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise ImproperlyConfigured(
            "H5P_ORIGIN is a scheme and a host name only, e.g. https://h5p.example.org"
        )
    return value, parts.hostname


# The H5P player's own origin, e.g. "https://pasapas-h5p.example.net" (docs/deploy.md): a
# second host name of this same site, which serves nothing but the player and its files.
# There the frame keeps its origin, so the browser reuses its files on the next visit;
# without it (the embedded default) the frame runs in an opaque origin on this host and
# every visit loads the player again.
H5P_ORIGIN, H5P_HOST = h5p_origin_read(os.environ.get("H5P_ORIGIN", ""))
if H5P_HOST:
    ALLOWED_HOSTS.append(H5P_HOST)
# Limits on an uploaded H5P package, checked before anything is unpacked.
H5P_MAX_FILES = int(os.environ.get("H5P_MAX_FILES", "5000"))
H5P_MAX_FILE_BYTES = int(os.environ.get("H5P_MAX_FILE_BYTES", str(50 * 1024 * 1024)))
H5P_MAX_TOTAL_BYTES = int(os.environ.get("H5P_MAX_TOTAL_BYTES", str(200 * 1024 * 1024)))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
# Files made by background jobs (exports with personal data): never under MEDIA_ROOT,
# only downloaded by their owner through lms.accounts.views.job_download.
JOB_FILES_ROOT = Path(os.environ.get("JOB_FILES_ROOT", BASE_DIR / "private" / "jobs"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Picture renditions are named by their content, so they are served with a one-year cache
# (courses/storage.py; nginx's rule in docs/deploy.md).
WAGTAILIMAGES_RENDITION_STORAGE = "courses.storage.HashedRenditionStorage"

WAGTAIL_SITE_NAME = "Pas à pas"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "mp3", "ogg", "m4a", "mp4", "webm", "vtt"]
# Checked by Wagtail's document field, in the single and the multiple upload alike.
WAGTAILDOCS_MAX_UPLOAD_SIZE = 100 * 1024 * 1024
# Every document upload in the admin is also checked by its content (cms/forms.py).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.forms.CheckedDocumentForm"
# And every image upload is read by Pillow before it is accepted (cms/forms.py).
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.forms.CheckedImageForm"
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# Background tasks (django-tasks, the backport of Django 6's django.tasks): run at once in
# the embedded default; TASKS_BACKEND=database queues them in the database for a worker
# started with `python manage.py db_worker` (production).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Server voice (courses/voice.py): each step's audio is made when its module is published.
VOICE_ON_PUBLISH = env_bool("VOICE_ON_PUBLISH", True)
# A published page's pictures get their renditions in the background (courses/pictures.py),
# so that the first visitor after a publication does not wait for them.
PICTURES_WARM_ON_PUBLISH = env_bool("PICTURES_WARM_ON_PUBLISH", True)

# Learning records name activities by stable IRIs under this base.
XAPI_IRI_BASE = os.environ.get("XAPI_IRI_BASE", "https://pasapas.be/xapi")

# Impact: any figure that counts fewer people than this is suppressed.
IMPACT_MIN_COUNT = int(os.environ.get("IMPACT_MIN_COUNT", "5"))
# Computed figures are cached this long at most (any write to their data retires them sooner).
IMPACT_CACHE_SECONDS = int(os.environ.get("IMPACT_CACHE_SECONDS", str(6 * 60 * 60)))

# GDPR: learners with no activity (statement, attendance, sign-in) for this many days are
# anonymised by `manage.py anonymise_inactive`, run daily by cron or a systemd timer.
LEARNER_RETENTION_DAYS = int(os.environ.get("LEARNER_RETENTION_DAYS", "1095"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Each background task and page publication would otherwise print a line.
        "django_tasks": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# Security headers and sign-in limits (lms/accounts/security.py, lms/accounts/ratelimit.py).
# Content-Security-Policy (django-csp): only this site's own files, no inline script or style.
# The admin paths get a few additions (lms.accounts.security.ADMIN_ADDITIONS); the H5P player
# frame and served uploads send their own sandboxed policy.
_SITE_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The offline worker (static/js/sw.js, served at /sw.js).
        "worker-src": ["'self'"],
        "frame-src": ["'self'", *([H5P_ORIGIN] if H5P_ORIGIN else [])],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
}
# CSP_REPORT_ONLY=1 sends the same policy as Report-Only, to try a change on a live site.
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _SITE_POLICY
else:
    CONTENT_SECURITY_POLICY = _SITE_POLICY
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

RATELIMIT_PROXY_COUNT = int(os.environ.get("RATELIMIT_PROXY_COUNT", "0"))

# --- Performance (issue #9) ---------------------------------------------------------------
# Where each page URL leads is remembered between visits (cms/routing.py): one query instead
# of Wagtail's walk down the page tree. Last, after LocaleMiddleware: the route depends on
# the language.
MIDDLEWARE.append("cms.routing.PageRouteCacheMiddleware")
