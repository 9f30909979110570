"""The Redis cache backend that keeps its redis-py clients (lms/redis_cache.py).

Against a real Redis server (skipped when none answers, a failure on CI), under a key prefix
of the test's own, removed afterwards.
"""

import os
import uuid

import pytest

from lms.redis_cache import RedisCache
from tests.lms.databases import missing_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def backend():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    try:
        cache.get("ping")
    except Exception as error:  # redis-py raises its own ConnectionError subclasses
        missing_service(f"Redis at {REDIS_URL}", error)
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


def test_the_backend_reuses_one_client_per_server(backend):
    first = backend._cache.get_client("a")
    assert backend._cache.get_client("b") is first
    assert backend._cache.get_client("c", write=True) is first  # a single server


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
    pool = backend._cache._pools[0]
    # redis-py starts the pool afresh in a forked worker: a connection made before the
    # fork is never shared with the child.
    pool.pid = -1  # what a forked child sees: another process id
    assert backend.get("before") == 1
    assert pool.pid == os.getpid()
