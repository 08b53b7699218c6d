"""The Redis cache of the portal, which falls back to local memory while Redis is unreachable.

The cache holds the rate limits of logins, sign-ups and password resets (django-allauth). With
plain ``RedisCache`` a Redis outage turns every login into a server error. Here a Redis error
(refused, reset or timed out: REDIS_SOCKET_TIMEOUT bounds each wait) is logged as a warning and
the call is served by a local-memory cache of this process instead; for the next
``FALLBACK_SECONDS`` (CACHE_FALLBACK_SECONDS, 30) the process does not try Redis at all, then it
does again. Defined behaviour during an outage: rate limits still apply, counted per process
rather than for the whole platform (a little looser with several web processes), and counts made
during the outage are forgotten once Redis is back. The rest of what is kept here can be
recomputed: sessions (``cached_db``, also in the database), the rendered criteria form of
Rechercher (invoices/views/listing.py) and the suppliers' figures (invoices/figures_cache.py, at
most ``CHORUS_FIGURES_CACHE_SECONDS`` old if an invalidation is missed during an outage).
"""

import logging
import threading
import time

import redis.exceptions
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# Per Redis location, until when this process uses local memory (monotonic clock). Django makes
# one cache object per thread: the state is the process's.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def reset_fallback() -> None:
    """Forget every outage seen by this process (tests)."""
    with _lock:
        _down_until.clear()


def _fallback_method(name):
    def method(self, *args, **kwargs):
        if self._redis_down():
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            return getattr(super(FallbackRedisCache, self), name)(*args, **kwargs)
        except REDIS_ERRORS as exc:
            self._mark_down(exc)
            return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client of the cache, which builds a ``redis.Redis`` object for every call (its
    ~170 response callbacks copied each time: ~0.1 ms per page on the benchmark's machine): here one
    per connection pool, kept. redis-py's clients share their pool's connections safely between
    threads; they hold no other state."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FallbackRedisCache(RedisCache):
    """``RedisCache`` with a local-memory fallback (see the module's docstring).

    ``CACHES["default"]["FALLBACK_SECONDS"]``: how long a process stays on local memory after a
    Redis error (default 30).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
        self._location = str(server)
        self._fallback_seconds = float(params.get("FALLBACK_SECONDS", 30))
        self._fallback = LocMemCache(
            f"chorus-fallback:{self._location}",
            {key: params[key] for key in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION") if key in params},
        )

    def _redis_down(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _mark_down(self, exc: BaseException) -> None:
        with _lock:
            _down_until[self._location] = time.monotonic() + self._fallback_seconds
        logger.warning(
            "Cache Redis injoignable (%s : %s) : limites de débit gardées en mémoire locale du processus pendant %s s.",
            exc.__class__.__name__,
            exc,
            self._fallback_seconds,
        )

    add = _fallback_method("add")
    get = _fallback_method("get")
    set = _fallback_method("set")
    touch = _fallback_method("touch")
    delete = _fallback_method("delete")
    get_many = _fallback_method("get_many")
    has_key = _fallback_method("has_key")
    incr = _fallback_method("incr")
    set_many = _fallback_method("set_many")
    delete_many = _fallback_method("delete_many")
    clear = _fallback_method("clear")
