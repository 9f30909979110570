"""Cached catalogue content: what is the same for every visitor, rendered once.

Every key holds a *content version* that changes whenever a page is published, unpublished,
moved or deleted, or a picture or site edited (signals connected in `CoursesConfig.ready`),
so an editor's change shows at once. Entries also expire after `CONTENT_CACHE_SECONDS`,
which bounds what a change that sends no signal (a document file replaced) can leave behind.

The signal reaches the cache of the process that saved the page. With a shared cache
(Redis, REDIS_URL) that is every server process. With the per-process memory cache, the
other processes would not hear of it: there the version itself lasts `LOCAL_VERSION_SECONDS`,
so each process starts a new one (and renders its fragments again) at least that often.

Only content that is the same for everyone goes here: never a learner's progress, answers,
name or CSRF token. Per-learner parts of a page stay rendered on each request.
"""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale

CONTENT_CACHE_SECONDS = 60 * 60
LOCAL_VERSION_SECONDS = 60
VERSION_KEY = "pasapas:content-version"


def _version_timeout() -> int | None:
    """Forever in a cache every process shares; a minute in a per-process memory cache."""
    return LOCAL_VERSION_SECONDS if isinstance(caches["default"], LocMemCache) else None


def content_version() -> int:
    """The current content version (a number; a new one after each page change)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock, not 1: if the version key alone was evicted, old entries
        # written under an earlier version can never be read again.
        version = time.time_ns() // 1000
        cache.add(VERSION_KEY, version, _version_timeout())
        version = cache.get(VERSION_KEY, version)
    return version


def bump_content_version(**_kwargs) -> None:
    """Signal receiver: a page changed, so every cached fragment is out of date."""
    cache.set(VERSION_KEY, max(content_version() + 1, time.time_ns() // 1000), _version_timeout())


def content_key(*parts: object) -> str:
    """A cache key for shared content, in the active language and the current version."""
    language = get_language() or ""
    return ":".join(["pasapas:content", str(content_version()), language, *map(str, parts)])


_locales: dict[str, Locale] = {}


def active_locale() -> Locale:
    """Wagtail's `Locale.get_active()` without a query on every request.

    Locales are added in the admin a few times in a site's life and a language code keeps
    its row, so each process remembers them once looked up.
    """
    try:
        code = get_supported_content_language_variant(get_language())
    except LookupError:
        return Locale.get_active()
    locale = _locales.get(code)
    if locale is None:
        locale = Locale.get_active()
        if locale.language_code == code:
            _locales[code] = locale
    return locale
