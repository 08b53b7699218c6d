"""What the admin's pages keep, in the process first, then in the shared cache (issue 9).

``kept_html``: HTML fragments kept under a key made of everything they are made of, the admin's
filters sidebar (``invoices.admin.sidebar``) and navigation sidebar (``accounts.admin_nav``). Such
a key always names the same HTML: no write invalidates it (new data make another key), so a copy
can be kept anywhere. It is looked for in the memory of the process first (the last ``LOCAL_MAX``
fragments: no round trip to Redis, which costs about as much as writing a small fragment), then in
the shared cache (another process may have written it), and rendered only when neither has it.

``kept``: any value kept the same way under such a key (the search criteria of Rechercher, cleaned,
with the HTML of their form).

``kept_value``: a value allowed to be up to ``seconds`` old (the admin list's capped count), kept
the same way with the time it was computed: wherever it is read from, it is never older.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

LOCAL_MAX = 512
_local: OrderedDict[str, str] = OrderedDict()
_values: OrderedDict[str, tuple] = OrderedDict()
_objects: OrderedDict[str, object] = OrderedDict()
_digests: dict[str, str] = {}
_lock = threading.Lock()


def template_digest(name: str) -> str:
    """A digest of the template ``name``'s source, for the keys of what it renders: a deployment
    that changes the template never serves what the former one wrote (read again under DEBUG)."""
    digest = _digests.get(name)
    if digest is None or settings.DEBUG:
        source = get_template(name).template.source
        digest = _digests[name] = hashlib.sha256(source.encode()).hexdigest()[:12]
    return digest


def template_key(prefix: str, name: str, *parts: str) -> str:
    """The cache key of what the template ``name`` renders from ``parts`` (strings naming its
    inputs): ``chorus:<prefix>:`` and a digest of the template's source, the language and them."""
    made_of = "|".join([template_digest(name), get_language() or "", *parts])
    return f"chorus:{prefix}:" + hashlib.sha256(made_of.encode()).hexdigest()


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


def kept(key: str, compute: Callable[[], object], *, timeout: int):
    """``kept_html`` for any value the cache can store (a tuple of a fragment and what goes with
    it): the value named ``key``, from this process, from the cache, or ``compute()``."""
    with _lock:
        found = _objects.get(key)
        if found is not None:
            _objects.move_to_end(key)
            return found
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=timeout)
    with _lock:
        _objects[key] = found
        while len(_objects) > LOCAL_MAX:
            _objects.popitem(last=False)
    return found


def kept_value(key: str, compute: Callable[[], object], *, seconds: float):
    """The value named ``key`` if computed less than ``seconds`` ago (by this process or another,
    through the cache), else ``compute()`` (kept ``seconds``). Never None."""
    now = time.time()
    with _lock:
        found = _values.get(key)
        if found is not None and found[1] + seconds > now:
            _values.move_to_end(key)
            return found[0]
    found = cache.get(key)
    if not (isinstance(found, tuple) and len(found) == 2 and found[1] + seconds > now):
        found = (compute(), now)
        cache.set(key, found, timeout=seconds)
    with _lock:
        _values[key] = found
        while len(_values) > LOCAL_MAX:
            _values.popitem(last=False)
    return found[0]


def clear() -> None:
    """Forget what this process kept (tests)."""
    with _lock:
        _local.clear()
        _values.clear()
        _objects.clear()
