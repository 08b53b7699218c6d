"""The Redis cache falls back to local memory while Redis is unreachable: a Redis outage never turns a
login into a server error, and rate limits still apply (per process). Real Redis clients against a
port where nothing listens; the frozen-Redis case is in tests/chorus/test_faults.py."""

import logging
import socket

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import html, redis_url

WARNING = "Cache Redis injoignable"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "chorus.cache.FallbackRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
            },
            "FALLBACK_SECONDS": 30,
        }
    }
    return caches["default"]


def warnings(caplog) -> int:
    return sum(WARNING in record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)


def test_operations_are_served_from_local_memory_and_redis_is_left_alone_for_a_while(redis_down, caplog):
    cache = redis_down
    assert cache.get("absent", "défaut") == "défaut"
    assert warnings(caplog) == 1
    cache.set("clé", [1, 2], 60)
    assert cache.get("clé") == [1, 2]
    assert cache.add("verrou", True, 10) is True and cache.add("verrou", True, 10) is False  # allauth's lock
    cache.add("compteur", 0)
    assert cache.incr("compteur") == 1
    cache.delete("verrou")
    assert cache.get_many(["clé", "absent"]) == {"clé": [1, 2]}
    assert warnings(caplog) == 1  # Redis was not tried again within FALLBACK_SECONDS


def test_after_the_fallback_period_redis_is_tried_again(redis_down, settings, caplog):
    settings.CACHES = {"default": {**settings.CACHES["default"], "FALLBACK_SECONDS": 0}}
    cache = caches["default"]
    cache.get("a")
    cache.get("b")
    assert warnings(caplog) == 2


@pytest.mark.django_db
def test_login_while_redis_is_down_answers_and_still_limits_attempts(redis_down, client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "mauvais-mot-de-passe"})
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in html(response)
    for _ in range(4):
        client.post(reverse("account_login"), {"login": user.email, "password": "mauvais-mot-de-passe"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": "Un-mot-de-passe-solide-42"})
    assert "Trop de tentatives de connexion échouées" in html(response)
    assert "_auth_user_id" not in client.session


def test_one_redis_client_per_pool_is_kept_and_serves_every_operation(requires_redis, settings):
    """Django's cache client built a ``redis.Redis`` for every operation; the portal's keeps one
    per connection pool (``chorus.cache.KeptClientRedisCacheClient``), with a real Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "chorus.cache.FallbackRedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": "test-kept-client",
        }
    }
    cache = caches["default"]
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads and writes share its pool
    cache.set("clé", {"a": 1}, 30)
    assert cache.get("clé") == {"a": 1}
    assert cache.get_many(["clé", "absente"]) == {"clé": {"a": 1}}
    cache.delete("clé")
    assert cache.get("clé") is None
    assert cache._cache.get_client() is client
