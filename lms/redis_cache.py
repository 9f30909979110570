"""Django's Redis cache backend, kept for the process and made to survive a Redis outage.

Reused clients. `django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new
`redis.Redis` around the (shared) connection pool at every cache operation. Building one
registers a couple of hundred response callbacks. Against Redis on loopback (2026-12-07,
2 shared cores under load, redis-py 8.1, Django 5.2), one `get` took 67-94 µs of CPU with a
reused client against 154-216 µs with a new one each time (Django's own backend: 207-271),
a `get_many` of three keys 95-155 µs against 214-271 µs. A signed-in page makes two or three
such reads (its session, its user, the content version): 0.25-0.45 ms saved on pages that
cost 2-2.5 ms of CPU in the test client, more than a tenth, so the reuse stays. A `redis.Redis` is safe to share between threads (each command takes a connection
from the pool) and the pool starts afresh in a forked worker (redis-py checks the process
id), so one client for writes and one for reads is kept and reused. With several servers
(a primary and replicas), each process so reads from one replica, chosen at its first read,
instead of one drawn at each read.

The price is one private attribute of Django: `RedisCache._class`, the client class its
`_cache` builds (Django has no setting for it). `get_client` itself is the method Django's
source names as the place for a custom client. tests/lms/test_redis_cache.py fails if a
Django upgrade stops building `_cache` from `_class` or calling `get_client`.

Redis is a cache. Every byte of data lives in the database, so when Redis cannot be
reached the site keeps serving (`RedisCache` below, public cache methods only):
- a read misses (sessions are then read from the database, fragments rendered again);
- a write is dropped, and its key remembered: when Redis answers again, this process
  deletes those keys before anything else, so a value Redis kept from before the outage
  (a session signed out meanwhile, a content version or a user row since changed) is never
  served. Another process can read such a key in the moment before; keys it wrote itself it
  deletes too;
- counters (`add`, `incr`) count in this process's memory instead, so a sign-in limit
  becomes a per-process limit, never no limit;
- Redis is not asked again for `RETRY_SECONDS` after a failure, so a request does not wait
  for a timeout at each cache operation, and a warning is logged once a minute at most.
`cache_health()` says whether Redis answered lately (the `/sante/` view reports it).
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("lms.redis_cache")

# What "cannot be reached" means: refused or broken connections, and timeouts. Any other
# Redis error (a wrong command, a key of the wrong type) is a bug and raises as before.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_SECONDS = 2.0
WARNING_SECONDS = 60.0
# Keys written while Redis was unreachable, deleted when it answers again. Past this many
# (an outage of hours under load) the oldest are forgotten and an error says so.
PENDING_KEYS_MAX = 100_000


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, whose `get_client` returns the same `redis.Redis` at every call
    (one for writes, one for reads) instead of a new one."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self.reused_clients = {}  # write -> redis.Redis

    def get_client(self, key=None, *, write=False):
        client = self.reused_clients.get(write)
        if client is None:
            client = self.reused_clients[write] = super().get_client(key, write=write)
        return client


@dataclass
class Outage:
    """What this process knows of one Redis server's reachability (shared by its threads:
    Django builds one cache object per thread)."""

    location: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    down_since: float | None = None  # wall clock, for the health report
    retry_at: float = 0.0  # monotonic: Redis is not asked again before this
    last_warning: float = float("-inf")  # monotonic
    skipped: int = 0  # operations answered without Redis since the last warning
    pending: dict[tuple[str, int | None], None] = field(default_factory=dict)  # ordered set
    overflowed: bool = False
    counters: LocMemCache | None = None

    def local_counters(self) -> LocMemCache:
        if self.counters is None:
            self.counters = LocMemCache(f"redis-outage:{self.location}", {"MAX_ENTRIES": 10_000})
        return self.counters


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> Outage:
    with _outages_lock:
        outage = _outages.get(location)
        if outage is None:
            outage = _outages[location] = Outage(location)
        return outage


@dataclass(frozen=True)
class CacheHealth:
    reachable: bool
    down_since: float | None  # time.time() of the first failure, None when reachable


def cache_health(cache) -> CacheHealth:
    """Whether `cache` (one of ours) answered at its last use; other backends always do."""
    if not isinstance(cache, RedisCache):
        return CacheHealth(reachable=True, down_since=None)
    if cache.outage.down_since is not None and time.monotonic() >= cache.outage.retry_at:
        cache.has_key("pasapas:health")  # time to ask again: one round trip
    down_since = cache.outage.down_since
    return CacheHealth(reachable=down_since is None, down_since=down_since)


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache`, reusing its redis-py clients and
    serving through an outage (see the module)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient  # Django's own attribute: see the module
        self.outage = _outage_for(server if isinstance(server, str) else ",".join(server))

    # --- The outage machinery ----------------------------------------------------------

    def _available(self) -> bool:
        """False while Redis is known to be unreachable; once the retry time has come,
        deletes the keys written meanwhile (True if that worked: Redis is back)."""
        outage = self.outage
        if outage.down_since is None:
            return True
        if time.monotonic() < outage.retry_at:
            return False
        with outage.lock:
            pending, overflowed = list(outage.pending), outage.overflowed
        by_version: dict[int | None, list[str]] = {}
        for key, version in pending:
            by_version.setdefault(version, []).append(key)
        try:
            if not pending:
                super().has_key("pasapas:health")  # nothing to delete: only ask
            for version, keys in by_version.items():
                for start in range(0, len(keys), 1000):
                    super().delete_many(keys[start : start + 1000], version=version)
        except UNREACHABLE as error:
            self._failed(error)
            return False
        with outage.lock:
            for item in pending:
                outage.pending.pop(item, None)
            seconds = time.time() - outage.down_since
            outage.down_since, outage.overflowed, outage.skipped = None, False, 0
            if outage.counters is not None:
                outage.counters.clear()  # counts go on in Redis (this memory is per name)
        logger.warning(
            "Redis at %s answers again after %.0f s; %s keys written meanwhile deleted.",
            outage.location,
            seconds,
            len(pending),
        )
        if overflowed:
            logger.error(
                "More than %s keys were written while Redis was unreachable: the oldest "
                "were not deleted and may be served stale until they expire.",
                PENDING_KEYS_MAX,
            )
        return True

    def _failed(self, error: Exception) -> None:
        outage = self.outage
        now = time.monotonic()
        with outage.lock:
            if outage.down_since is None:
                outage.down_since = time.time()
            outage.retry_at = now + RETRY_SECONDS
            warn = now - outage.last_warning >= WARNING_SECONDS
            if warn:
                outage.last_warning, skipped, outage.skipped = now, outage.skipped, 0
        if warn:
            logger.warning(
                "Redis at %s cannot be reached (%s): serving from the database without "
                "the cache (%s operations skipped since the last warning).",
                outage.location,
                error,
                skipped,
            )

    def _skipped(self, keys, version) -> None:
        """Count an operation answered without Redis; remember the keys it wrote."""
        outage = self.outage
        with outage.lock:
            outage.skipped += 1
            for key in keys:
                outage.pending[(key, version)] = None
            while len(outage.pending) > PENDING_KEYS_MAX:
                outage.pending.pop(next(iter(outage.pending)))
                outage.overflowed = True

    def _read(self, method, default, *args, **kwargs):
        if self._available():
            try:
                return method(*args, **kwargs)
            except UNREACHABLE as error:
                self._failed(error)
        self._skipped((), None)
        return default

    def _write(self, method, keys, version, default, *args, **kwargs):
        if self._available():
            try:
                return method(*args, version=version, **kwargs)
            except UNREACHABLE as error:
                self._failed(error)
        self._skipped(keys, version)
        return default

    def _count(self, method, name, key, version, *args):
        """`add` or `incr`: in Redis, or in this process's memory during an outage."""
        if self._available():
            try:
                return method(key, *args, version=version)
            except UNREACHABLE as error:
                self._failed(error)
        self._skipped((key,), version)
        return getattr(self.outage.local_counters(), name)(key, *args, version=version)

    # --- Django's public cache methods --------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._read(super().get, default, key, default, version=version)

    def get_many(self, keys, version=None):
        return self._read(super().get_many, {}, keys, version=version)

    def has_key(self, key, version=None):
        return self._read(super().has_key, False, key, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write(super().set, (key,), version, None, key, value, timeout)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write(super().set_many, list(data), version, [], data, timeout)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write(super().touch, (key,), version, False, key, timeout)

    def delete(self, key, version=None):
        return self._write(super().delete, (key,), version, False, key)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        return self._write(super().delete_many, keys, version, None, keys)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._count(super().add, "add", key, version, value, timeout)

    def incr(self, key, delta=1, version=None):
        return self._count(super().incr, "incr", key, version, delta)

    def clear(self):
        if self._available():
            try:
                return super().clear()
            except UNREACHABLE as error:
                self._failed(error)
        self._skipped((), None)
        return False
