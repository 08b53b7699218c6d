"""Links to the portal: absolute ones for e-mails (PORTAL_BASE_URL, the address of the run, + a
path), and ``cached_reverse``, Django's ``reverse`` kept for the process."""

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# (urlconf, script prefix, language, view name, args, kwargs, current app) -> path
_REVERSED: dict[tuple, str] = {}
REVERSED_LIMIT = 4096
_KEPT_TYPES = (str, SafeString, int)  # exactly: not bool, an enum or a lazy string


def cached_reverse(viewname, *, args=None, kwargs=None, current_app=None) -> str:
    """``reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)``, kept.

    The path of a view name and its arguments depends only on the URL configuration of the thread,
    the script prefix and the language (``i18n_patterns``), all in the key. Only view names and
    arguments that are strings or integers (not booleans) are kept, at most ``REVERSED_LIMIT``
    (all forgotten when the limit is reached: ids of invoices are unbounded); a change of
    settings forgets them (tests overriding ROOT_URLCONF). A failed reversal is never kept.
    """
    args = tuple(args or ())
    items = tuple(sorted(kwargs.items())) if kwargs else ()
    values = (viewname, current_app, *args, *(value for _, value in items))
    if not all(value is None or (type(value) in _KEPT_TYPES) for value in values):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    key = (get_urlconf(), get_script_prefix(), get_language(), viewname, args, items, current_app)
    path = _REVERSED.get(key)
    if path is None:
        path = reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
        if len(_REVERSED) >= REVERSED_LIMIT:
            _REVERSED.clear()
        _REVERSED[key] = path
    return path


def _forget_reversed(**kwargs) -> None:
    _REVERSED.clear()


setting_changed.connect(_forget_reversed)


def absolute_url(path: str) -> str:
    """``path`` (``/factures/12/``) on the portal's public address, e.g. ``https://chorus.example/factures/12/``.

    The same in the web process, a worker and beat: e-mails never depend on the Host header of
    the request that triggered them, nor on the process that renders them.
    """
    if not path.startswith("/"):
        path = "/" + path
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def absolute_reverse(viewname: str, *args, **kwargs) -> str:
    """``reverse(viewname, args=args, kwargs=kwargs)`` as an absolute link (``absolute_url``)."""
    return absolute_url(reverse(viewname, args=args or None, kwargs=kwargs or None))
