"""Redis is a cache: when it cannot be reached, the site serves without it (lms/redis_cache.py).

Against a redis-server each test starts (tests/lms/redis_server.py) and stops or pauses.
"""

import logging
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from lms import redis_cache
from lms.accounts.ratelimit import Rate, ratelimit_hit
from lms.redis_cache import RedisCache, cache_health
from tests.lms.redis_server import running_redis


@pytest.fixture
def redis_server(tmp_path):
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch):
    """Ask Redis again after 0.1 s instead of 2 s, so a test need not wait."""
    monkeypatch.setattr(redis_cache, "RETRY_SECONDS", 0.1)


def backend_for(server, prefix="outage") -> RedisCache:
    # One Outage per address: each test's server has its own port, so its own state.
    return RedisCache(
        server.url,
        {"KEY_PREFIX": prefix, "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}},
    )


def wait_retry():
    time.sleep(redis_cache.RETRY_SECONDS + 0.05)


def test_reads_miss_and_writes_are_dropped_while_redis_is_stopped(redis_server):
    cache = backend_for(redis_server)
    cache.set("fragment", "<p>rendu</p>")
    assert cache.get("fragment") == "<p>rendu</p>"

    redis_server.stop()
    assert cache.get("fragment", "absent") == "absent"
    assert cache.get_many(["fragment", "other"]) == {}
    assert "fragment" not in cache
    cache.set("fragment", "<p>nouveau</p>")
    cache.set_many({"a": 1, "b": 2})
    cache.delete("fragment")
    cache.delete_many(["a", "b"])
    assert cache.get_or_set("generation", 7) == 7
    assert cache_health(cache).reachable is False


def test_keys_written_during_an_outage_are_deleted_when_redis_answers_again(redis_server):
    """A paused Redis keeps its keys: a session signed out and a version changed during the
    outage must not come back with it."""
    cache = backend_for(redis_server)
    cache.set("session-of-amina", {"user": 1})
    cache.set("content-version", 41)
    cache.set("untouched", "kept")

    redis_server.pause()
    try:
        assert cache.get("session-of-amina") is None  # waits one timeout, then stops asking
        started = time.monotonic()
        cache.delete("session-of-amina")  # Amina signs out
        cache.set("content-version", 42)  # an editor publishes
        assert time.monotonic() - started < 0.2  # no timeout at each operation
    finally:
        redis_server.resume()
    # Redis still holds the old values...
    assert redis_server.client().exists("outage:1:session-of-amina")
    wait_retry()
    # ...and the first operation after the retry time deletes them first.
    assert cache.get("session-of-amina") is None
    assert cache.get("content-version") is None
    assert cache.get("untouched") == "kept"
    assert not redis_server.client().exists("outage:1:session-of-amina")
    assert cache_health(cache).reachable is True


def test_counters_count_in_the_process_while_redis_is_stopped(redis_server):
    """A sign-in limit falls back to a per-process counter, never to no limit."""
    cache = backend_for(redis_server)
    rate = Rate(count=3, seconds=900)
    assert ratelimit_hit(scope="t", key="amina", rate=rate, cache=cache).allowed
    redis_server.stop()
    # The count starts again in this process's memory (what Redis held is out of reach).
    checks = [ratelimit_hit(scope="t", key="amina", rate=rate, cache=cache) for _ in range(5)]
    assert [check.allowed for check in checks] == [True, True, True, False, False]


def test_the_outage_is_logged_once_a_minute_not_at_each_request(redis_server, caplog):
    cache = backend_for(redis_server)
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="lms.redis_cache"):
        for _ in range(5):
            cache.get("a")
            wait_retry()  # each time Redis is asked again, and fails again
    warnings = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(warnings) == 1


def test_the_health_view_reports_the_degraded_cache(redis_server, client):
    settings = {
        "default": {
            "BACKEND": "lms.redis_cache.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    with override_settings(CACHES=settings):
        response = client.get("/sante/")
        assert (response.status_code, response.content) == (200, b"ok")
        redis_server.stop()
        caches["default"].get("anything")
        response = client.get("/sante/")
        assert response.status_code == 200  # the site still serves: keep sending people
        assert response.content.startswith(b"degraded: cache unreachable")
        redis_server.start()
        wait_retry()
        assert client.get("/sante/").content == b"ok"
