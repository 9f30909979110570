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

Within one request the version is read once (a page asks for a dozen keys; with Redis each
read would be a round trip): from the request's start to its end, `content_version()`
answers from memory, and a change made by the request itself starts the new version at once.
A request that starts less than `REQUEST_VERSION_SECONDS` after this process last read it
takes that reading too: a busy server asks Redis once a second, not at every page, and a
change made in another process shows at most that long after. A change made in this process
shows at once. Outside requests (commands, tasks, tests calling functions) it is read every
time.
"""

import threading
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale

CONTENT_CACHE_SECONDS = 60 * 60
LOCAL_VERSION_SECONDS = 60
REQUEST_VERSION_SECONDS = 1.0
VERSION_KEY = "pasapas:content-version"


def _version_timeout() -> int | None:
    """Forever in a cache every process shares; a minute in a per-process memory cache."""
    return LOCAL_VERSION_SECONDS if isinstance(caches["default"], LocMemCache) else None


# The version read during the current request, per thread (None outside a request).
_request = threading.local()
# This process's last reading for requests: (version, until) on the monotonic clock.
_last_read: tuple[int, float] = (0, 0.0)


def _request_start(**_kwargs) -> None:
    version, until = _last_read
    fresh = version and time.monotonic() < until
    _request.active, _request.version = True, version if fresh else None


def _request_end(**_kwargs) -> None:
    _request.active, _request.version = False, None


request_started.connect(_request_start, dispatch_uid="pasapas-content-version-start")
request_finished.connect(_request_end, dispatch_uid="pasapas-content-version-end")


def content_version() -> int:
    """The current content version (a number; a new one after each page change)."""
    version = getattr(_request, "version", None)
    if version is not None:
        return version
    version = _read_version()
    if getattr(_request, "active", False):
        _request_read(version)
    return version


def _read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock, not 1: if the version key alone was evicted, old entries
        # written under an earlier version can never be read again.
        version = time.time_ns() // 1000
        cache.add(VERSION_KEY, version, _version_timeout())
        version = cache.get(VERSION_KEY, version)
    return version


def _forget_reading() -> None:
    global _last_read
    _last_read = (0, 0.0)


def forget_process_memory() -> None:
    """Drop what this process keeps of the shared cache: the version's last reading and the
    values of `shared_get_many` (tests, after emptying the cache)."""
    _forget_reading()
    with _objects_lock:
        _objects.clear()


def _request_read(version: int) -> None:
    global _last_read
    _request.version = version
    _last_read = (version, time.monotonic() + REQUEST_VERSION_SECONDS)


def bump_content_version(**_kwargs) -> None:
    """Signal receiver: a page changed, so every cached fragment is out of date."""
    _request.version = None
    _forget_reading()
    version = max(_read_version() + 1, time.time_ns() // 1000)
    cache.set(VERSION_KEY, version, _version_timeout())
    if getattr(_request, "active", False):
        _request_read(version)


# Who may see a page is remembered with its route (cms/routing.py): a view restriction
# saved, deleted or given other groups starts a new version too. Connected here, where
# every process that serves pages has imported this module (CoursesConfig.ready); a change
# made without signals (a queryset's update()) shows after CONTENT_CACHE_SECONDS at most.
_RESTRICTION = "wagtailcore.PageViewRestriction"
post_save.connect(bump_content_version, sender=_RESTRICTION, dispatch_uid="pasapas-pvr-save")
post_delete.connect(bump_content_version, sender=_RESTRICTION, dispatch_uid="pasapas-pvr-del")
m2m_changed.connect(
    bump_content_version, sender=f"{_RESTRICTION}_groups", dispatch_uid="pasapas-pvr-groups"
)


def content_key(*parts: object) -> str:
    """A cache key for shared content, in the active language and the current version."""
    return content_keys(parts)[0]


def content_keys(*keys_parts: Iterable[object]) -> list[str]:
    """`content_key(*parts)` for each of `keys_parts`, the version and language read once.

    A step page names a dozen keys; reading the version and the language for each cost
    more than the rest of the key (8 µs a key on the bench machine).
    """
    prefix = f"pasapas:content:{content_version()}:{get_language() or ''}"
    return [":".join([prefix, *map(str, parts)]) for parts in keys_parts]


# Values read from the shared cache, kept in this process while their key is current:
# key -> (until, value), `until` on the monotonic clock.
_objects: dict[str, tuple[float, object]] = {}
_objects_lock = threading.Lock()
PROCESS_OBJECTS_MAX = 4096


def _keep(values: dict[str, object], seconds: int) -> None:
    until = time.monotonic() + seconds
    with _objects_lock:
        if len(_objects) + len(values) > PROCESS_OBJECTS_MAX:
            _objects.clear()  # mostly old versions' entries, never asked for again
        for key, value in values.items():
            _objects[key] = (until, value)


def shared_get_many(keys: list[str], seconds: int = CONTENT_CACHE_SECONDS) -> dict[str, object]:
    """The values cached under `keys` (each a `content_key`) that exist, by key.

    Kept in this process too, so a page neither asks the shared cache (a round trip with
    Redis) nor unpickles the same values at every visit. The keys hold the content version,
    so a change makes new keys, and nothing is kept longer than `seconds` (what the shared
    cache keeps it) either. Only for immutable values that are the same for everyone
    (strings, frozen dataclasses): every request of this process gets the same object.
    """
    now = time.monotonic()
    found, wanted = {}, []
    for key in keys:
        kept = _objects.get(key)
        if kept is not None and kept[0] > now:
            found[key] = kept[1]
        else:
            wanted.append(key)
    if wanted:
        fetched = cache.get_many(wanted)
        _keep(fetched, seconds)
        found.update(fetched)
    return found


def shared_set_many(values: dict[str, object], seconds: int = CONTENT_CACHE_SECONDS) -> None:
    """Cache `values` (by `content_key`) for every process, and keep them in this one."""
    cache.set_many(values, seconds)
    _keep(values, seconds)


def shared_content(
    key: str, build: Callable[[], object], seconds: int = CONTENT_CACHE_SECONDS
) -> object:
    """The value cached under `key` (see `shared_get_many`), built by `build()` if missing."""
    found = shared_get_many([key], seconds)
    if key in found:
        return found[key]
    value = build()
    shared_set_many({key: value}, seconds)
    return value


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
