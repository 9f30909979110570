"""Run a benchmark as production runs: with Redis for the cache and the sessions.

Called before `django.setup()` by measure.py and bench_statements.py: sets REDIS_URL (which
makes sessions `cached_db`, lms/settings/base.py) when a Redis server answers at
BENCH_REDIS_URL (database 4 of the local server by default), with a key prefix of the
benchmark database's own, so cached pages of one never answer for another. Without Redis (or
with BENCH_REDIS_URL empty) the figures are those of a one-server install with sessions in
the database.
"""

import os
import socket


def use_redis_as_production() -> None:
    """Set REDIS_URL (and a key prefix for this database) if a Redis server answers."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    if not url or os.environ.get("REDIS_URL"):
        return
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return
    database = os.environ.get("DATABASE_URL") or os.environ.get("SQLITE_PATH", "default")
    os.environ["REDIS_URL"] = url
    os.environ["CACHE_KEY_PREFIX"] = "pasapas-bench-" + database.rstrip("/").rsplit("/", 1)[-1]
