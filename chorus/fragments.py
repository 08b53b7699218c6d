"""HTML fragments kept under a key made of everything they are made of (issue 9): the admin's
filters sidebar (``invoices.admin.sidebar``) and navigation sidebar (``accounts.admin_nav``).

Such a key always names the same HTML: no write invalidates it (new data make another key), so a
copy can be kept anywhere. ``kept_html`` looks in the memory of the process first (the last
``LOCAL_MAX`` fragments: no round trip to Redis, which costs about as much as writing a small
fragment), then in the shared cache (another process may have written it), and renders it only
when neither has it.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.core.cache import cache
from django.utils.safestring import SafeString

LOCAL_MAX = 512
_local: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def kept_html(key: str, render: Callable[[], str], *, timeout: int) -> SafeString:
    """The fragment named ``key``: from this process, from the cache, or ``render()`` (kept in
    both, ``timeout`` seconds in the cache)."""
    with _lock:
        html = _local.get(key)
        if html is not None:
            _local.move_to_end(key)
    if html is None:
        html = cache.get(key)  # chorus.cache.FallbackRedisCache: never raises when Redis is down
        if html is None:
            html = str(render())
            cache.set(key, html, timeout=timeout)
        with _lock:
            _local[key] = html
            while len(_local) > LOCAL_MAX:
                _local.popitem(last=False)
    return SafeString(html)  # rendered (and escaped) by the templates that wrote it


def clear() -> None:
    """Forget the fragments of this process (tests)."""
    with _lock:
        _local.clear()
