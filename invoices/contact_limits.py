"""Limits of "Nous contacter": so many messages per client IP and per e-mail address per window.

``CONTACT_FORM_LIMITS`` gives, for each scope, the number of messages accepted within
``seconds`` of the first one; past it, the form is refused with the time left, and the refused
attempt is not counted. The counters live in the cache (Redis in production; a local fallback
during an outage, see chorus/cache.py), like the login limits of ``accounts.login_throttle``,
whose reading of the client IP (through ``TRUSTED_PROXY_COUNT`` proxies) is reused.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.login_throttle import client_ip

logger = logging.getLogger("accounts.security")

IP, EMAIL = "ip", "email"


def _keys(scope: str, value: str) -> tuple[str, str]:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    base = f"contact-limit:{scope}:{digest}"
    return f"{base}:count", f"{base}:start"


def reserve(request, email: str) -> int:
    """Count one message for the request's IP and for ``email``: 0 when accepted, else the
    seconds to wait (and nothing counted)."""
    now = time.time()
    reserved, wait = [], 0.0
    for scope, value in ((IP, client_ip(request)), (EMAIL, email)):
        rule = settings.CONTACT_FORM_LIMITS[scope]
        count_key, start_key = _keys(scope, value)
        if cache.add(start_key, now, rule["seconds"]):
            cache.set(count_key, 0, rule["seconds"])
        cache.add(count_key, 0, rule["seconds"])
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between the two calls
            cache.set(count_key, 1, rule["seconds"])
            count = 1
        reserved.append(count_key)
        if count > rule["count"]:
            start = cache.get(start_key) or now
            wait = max(wait, start + rule["seconds"] - now, 1)
    if wait:
        for count_key in reserved:
            try:
                cache.decr(count_key)
            except ValueError:
                pass
        logger.warning("contact form refused for %.0f s (address %r, ip %s)", wait, email, client_ip(request))
        return math.ceil(wait)
    return 0


def wait_message(seconds: int) -> str:
    """« réessayez dans 12 minutes » (or seconds under a minute), for the form's error."""
    if seconds < 60:
        return ngettext(
            "Vous avez envoyé trop de messages : réessayez dans %(n)d seconde.",
            "Vous avez envoyé trop de messages : réessayez dans %(n)d secondes.",
            seconds,
        ) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return (
        ngettext(
            "Vous avez envoyé trop de messages : réessayez dans %(n)d minute.",
            "Vous avez envoyé trop de messages : réessayez dans %(n)d minutes.",
            minutes,
        )
        % {"n": minutes}
        + " "
        + _("Vous pouvez aussi consulter l'aide en ligne, qui répond aux questions les plus fréquentes.")
    )
