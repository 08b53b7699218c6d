"""Failed-login limits with a growing delay, per login address and per client IP, never a hard lock.

Each password attempt is counted against two scopes: the address typed in the form and the
client IP (read through ``TRUSTED_PROXY_COUNT`` proxies, see the README). A scope's first
``free_failures`` failures cost nothing; after that, the next attempt is accepted only once
``base_delay × 2^(failures − free_failures)`` seconds (at most ``max_delay``) have passed since the
last counted attempt. Attempts made during the delay are refused without testing the password and
are not counted, so they neither lengthen the delay nor lock the owner out: once it has passed,
the right password gets in. A success clears its address's count and gives back its IP's
attempt (clearing the IP count would let an attacker reset it with an account of their own).
Counts are forgotten ``window`` seconds after the last attempt. Every refusal is logged.

The counts live in the cache (Redis in production), the attempt being reserved before the
password is checked, so parallel requests cannot all slip through under the threshold.
"""

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("accounts.security")

ADDRESS, IP = "address", "ip"


@dataclass(frozen=True)
class Policy:
    free_failures: int
    base_delay: float
    max_delay: float
    window: float

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` counted attempts (0 while they are free)."""
        if failures < self.free_failures:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.free_failures), self.max_delay)


def policy(scope: str) -> Policy:
    config = settings.LOGIN_THROTTLE[scope]
    return Policy(
        free_failures=config["free_failures"],
        base_delay=config["base_delay"],
        max_delay=config["max_delay"],
        window=settings.LOGIN_THROTTLE["window"],
    )


def client_ip(request) -> str:
    """The client's IP as seen through the trusted proxies; an IPv6 address counts for its /64."""
    ip = get_adapter(request).get_client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _keys(scope: str, value: str) -> tuple[str, str]:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    base = f"login-throttle:{scope}:{digest}"
    return f"{base}:count", f"{base}:last"


def _scopes(request, login: str) -> list[tuple[str, str]]:
    return [(ADDRESS, login), (IP, client_ip(request))]


def reserve_attempt(request, login: str) -> float:
    """Count an attempt before the password is checked, or refuse it.

    Returns 0 when the attempt may go on (it is then counted as a failure until
    ``record_success`` gives it back), else the seconds the caller must still wait.
    """
    now = time.time()
    reserved, wait, blocked_scope = [], 0.0, None
    for scope, value in _scopes(request, login):
        rules = policy(scope)
        count_key, last_key = _keys(scope, value)
        cache.add(count_key, 0, rules.window)
        count = cache.incr(count_key)
        reserved.append(count_key)
        previous = count - 1
        remaining = (cache.get(last_key) or 0) + rules.delay(previous) - now
        if previous >= rules.free_failures and remaining > 0:
            wait, blocked_scope = max(wait, remaining), (scope, value, previous)
    if wait:
        for count_key in reserved:  # a refused attempt is not counted
            cache.decr(count_key)
        scope, value, failures = blocked_scope
        logger.warning(
            "login refused for %.0f s: %s %r has %d failed attempts (address %r, ip %s)",
            wait,
            scope,
            value,
            failures,
            login,
            client_ip(request),
        )
        return wait
    for scope, value in _scopes(request, login):
        count_key, last_key = _keys(scope, value)
        cache.set(last_key, now, policy(scope).window)
        cache.touch(count_key, policy(scope).window)
    return 0.0


def record_failure(request, login: str) -> None:
    """The reserved attempt failed: it stays counted. Logged for the audit trail."""
    counts = {scope: cache.get(_keys(scope, value)[0], 0) for scope, value in _scopes(request, login)}
    logger.info(
        "login failed for %r from %s (failures: address %d, ip %d)",
        login,
        client_ip(request),
        counts[ADDRESS],
        counts[IP],
    )


def record_success(request, login: str) -> None:
    """Clear the address's count; give back the IP's reserved attempt."""
    for key in _keys(ADDRESS, login):
        cache.delete(key)
    count_key, _ = _keys(IP, client_ip(request))
    try:
        if cache.get(count_key, 0) > 0:
            cache.decr(count_key)
    except ValueError:  # expired meanwhile
        pass


def clear_address(login: str) -> None:
    """Forget an address's failures (after a successful password reset)."""
    for key in _keys(ADDRESS, login):
        cache.delete(key)
