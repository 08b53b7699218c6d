"""Absolute links to the portal, for e-mails: PORTAL_BASE_URL (the address of the run) + a path."""

from django.conf import settings
from django.urls import reverse


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
