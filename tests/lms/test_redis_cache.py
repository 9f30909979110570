"""The Redis cache backend that keeps its redis-py clients (lms/redis_cache.py).

Against a real Redis server (skipped when none answers, a failure on CI), under a key prefix
of the test's own, removed afterwards.
"""

import os
import uuid
from unittest import mock

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from lms.redis_cache import RedisCache, ReusedClientRedisCacheClient
from tests.lms.databases import missing_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def backend():
    name = f"test-{uuid.uuid4().hex}"
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": name, "OPTIONS": {"client_name": name}})
    try:
        cache.get("ping")
    except Exception as error:  # redis-py raises its own ConnectionError subclasses
        missing_service(f"Redis at {REDIS_URL}", error)
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


def test_the_backend_reuses_one_client_for_reads_and_one_for_writes(backend):
    first = backend._cache.get_client("a")
    assert backend._cache.get_client("b") is first
    writer = backend._cache.get_client("c", write=True)
    assert backend._cache.get_client("d", write=True) is writer
    assert writer.connection_pool is first.connection_pool  # a single server


def test_django_still_builds_its_client_from_the_attribute_the_backend_sets(backend):
    """lms/redis_cache.py plugs its client in through `RedisCache._class`, private to
    Django: an upgrade that renames it makes this fail instead of silently dropping the
    reuse."""
    assert DjangoRedisCache(REDIS_URL, {})._class is RedisCacheClient
    assert isinstance(backend._cache, ReusedClientRedisCacheClient)


def built_clients(cache) -> int:
    """How many `redis.Redis` objects 20 rounds of reads and writes on `cache` build."""
    built = []
    original = redis.Redis.__init__

    def counting(client, *args, **kwargs):
        built.append(client)
        original(client, *args, **kwargs)

    with mock.patch.object(redis.Redis, "__init__", counting):
        for number in range(20):
            cache.set(f"n{number}", number)
            assert cache.get(f"n{number}") == number
            assert cache.get_many([f"n{number}"]) == {f"n{number}": number}
    return len(built)


def test_operations_reuse_the_clients_that_django_builds_anew_each_time(backend):
    # Django's own backend builds a client at each operation (what the reuse saves); when
    # a Django upgrade stops doing so, this says lms/redis_cache.py's client can go.
    assert built_clients(DjangoRedisCache(REDIS_URL, {"KEY_PREFIX": backend.key_prefix})) == 60
    assert built_clients(backend) <= 2  # the first write's and the first read's


def test_the_reused_clients_hold_one_connection_to_redis(backend):
    for number in range(20):
        backend.set(f"n{number}", number)
        backend.get(f"n{number}")
    name = backend._cache.get_client().client_getname()
    connections = [c for c in backend._cache.get_client().client_list() if c["name"] == name]
    assert len(connections) == 1


def test_the_backend_reads_and_writes_as_djangos_does(backend):
    assert backend.get("missing", "default") == "default"
    backend.set("number", 41)
    assert backend.incr("number") == 42
    backend.set_many({"a": {"x": [1, 2]}, "b": "texte"})
    assert backend.get_many(["a", "b", "c"]) == {"a": {"x": [1, 2]}, "b": "texte"}
    assert backend.add("b", "other") is False
    backend.delete("b")
    assert backend.get("b") is None
    backend.set("short", 1, timeout=0)  # Django's meaning: not kept at all
    assert backend.get("short") is None


def test_a_new_process_gets_its_own_connections(backend):
    backend.set("before", 1)
    pool = backend._cache.get_client().connection_pool
    # redis-py starts the pool afresh in a forked worker: a connection made before the
    # fork is never shared with the child.
    pool.pid = -1  # what a forked child sees: another process id
    assert backend.get("before") == 1
    assert pool.pid == os.getpid()
