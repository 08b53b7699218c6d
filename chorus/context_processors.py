"""Template context shared by every page: the DSFR site configuration, from settings.

django-dsfr's own context processor reads a ``DsfrConfig`` row on every request; the portal's
identity is fixed, so it is served from code and costs no query.
"""

from types import SimpleNamespace

from django.conf import settings
from django.urls import NoReverseMatch, reverse

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


# The connected navigation of the real portal; an entry shows once its URL exists.
NAVIGATION = [
    ("Accueil connecté", "accounts:dashboard"),
    ("Activités du gestionnaire", "structures:activities"),
    ("Factures émises", "invoices:list"),
    ("Mon compte", "accounts:profile"),
]


def _navigation(path: str) -> list[dict]:
    items = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": path.startswith(url)})
    return items


def portal(request):
    user = getattr(request, "user", None)
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "main_navigation": _navigation(request.path) if user and user.is_authenticated else [],
        "DEMO_MODE": settings.DEBUG,
        "activation_minutes": settings.ACCOUNT_ACTIVATION_MINUTES,
    }
