"""Django's Redis cache backend, with one redis-py client per server kept for the process.

`django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new `redis.Redis`
around the (shared) connection pool at every cache operation. Building one registers a
couple of hundred response callbacks: about 0.1 ms, as long as the GET itself on loopback,
and a signed-in page makes two or three such reads (its session, the content version,
cached fragments). A `redis.Redis` is safe to share between threads (each command takes a
connection from the pool) and the pool starts afresh in a forked worker (redis-py checks the
process id), so one client per server is kept and reused. Everything else, keys,
serialisation, timeouts and the choice of server, is Django's.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}  # server index -> redis.Redis over that server's pool

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._pools.get(index)
            if pool is None:
                pool = self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` reusing its redis-py clients."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
