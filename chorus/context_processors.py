"""Template context shared by every page: the DSFR site configuration, from settings.

django-dsfr's own context processor reads a ``DsfrConfig`` row on every request; the portal's
identity is fixed, so it is served from code and costs no query. The connected navigation is lazy:
only a page that shows it computes it.
"""

import functools
from types import SimpleNamespace
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

SITE_CONFIG = SimpleNamespace(
    site_title="Chorus Pro",
    site_tagline="La facturation électronique des fournisseurs du secteur public",
    header_brand_html="République<br>française",
    footer_brand_html="République<br>française",
    footer_description=("Portail de dépôt et de suivi des factures adressées aux services de l'État. Logiciel libre."),
    mourning=False,
    beta_tag=False,
    notice_title="",
    notice_description="",
    notice_link="",
    notice_type="info",
    notice_icon_class="",
    notice_is_collapsible=False,
    operator_logo_file=None,
    operator_logo_alt="",
    operator_logo_width=0,
    accessibility_status="PART",
    newsletter_description="",
    newsletter_url="",
)


# The connected navigation of the real portal: (label, URL name, optional predicate taking the
# request). An entry shows once its URL exists and, when it has one, its predicate holds; the
# predicate is named by its dotted path so this package imports no app.
NAVIGATION = [
    ("Accueil connecté", "accounts:dashboard", None),
    ("Ma structure", "structures:home", None),
    ("Activités du gestionnaire", "structures:activities", "structures.selectors.is_current_manager"),
    ("Factures émises", "invoices:list", "structures.selectors.is_not_current_recipient"),
    ("Sollicitations émises", "sollicitations:list", None),
    ("Mon compte", "accounts:profile", None),
]


@functools.cache
def _navigation_entries(script_prefix: str) -> tuple:
    """The entries whose URL exists, with their URL and predicate: the same for every request
    (``reverse`` and ``import_string`` were six calls of each on every page)."""
    entries = []
    for label, url_name, predicate in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        entries.append((label, url, import_string(predicate) if predicate else None))
    return tuple(entries)


class NavigationItem(NamedTuple):
    label: str
    url: str
    active: bool


def _navigation(request) -> tuple[NavigationItem, ...]:
    """The entries shown to this request, the current one (whose URL is the longest prefix of the
    page's path) marked active. A tuple of tuples: the header's ``{% once %}`` is keyed on it."""
    shown = [
        (label, url)
        for label, url, predicate in _navigation_entries(get_script_prefix())
        if predicate is None or predicate(request)
    ]
    matching = [url for _, url in shown if request.path.startswith(url)]
    current = max(matching, key=len) if matching else None
    return tuple(NavigationItem(label, url, url == current) for label, url in shown)


def _forget_navigation(**kwargs) -> None:
    _navigation_entries.cache_clear()


setting_changed.connect(_forget_navigation)


def portal(request):
    user = getattr(request, "user", None)
    return {
        "SITE_CONFIG": SITE_CONFIG,
        # Lazy: computed only by a page that shows it (the admin's pages never do; computing it
        # read the user's memberships and reversed six URLs on each of them, issue 9).
        "main_navigation": SimpleLazyObject(lambda: _navigation(request)) if user and user.is_authenticated else (),
        # What the header shows of the user (its {% once %} key): the name, or the e-mail without
        # one, and whether the Administration link is offered.
        "header_user": SimpleLazyObject(lambda: (user.get_full_name() or user.email, user.is_staff))
        if user and user.is_authenticated
        else None,
        "DEMO_MODE": settings.DEBUG,
        "activation_minutes": settings.ACCOUNT_ACTIVATION_MINUTES,
        "QUALIFICATION": settings.QUALIFICATION,
    }
