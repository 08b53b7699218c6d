"""The tab bar of "Factures émises", shared by each of its pages: one list, one include.

Each tab is (order, key, French label, URL name), shown sorted by ``order``, so a page family adds
its tab by appending one line. The order follows the real portal: Synthèse, Rechercher, Tableau de
bord, Saisir facture, Dépôt factures, Liste fiscale, Archives. A page shows the bar by putting its
key in the context as ``workspace_tab`` (``templates/invoices/base_invoices.html`` includes
``invoices/includes/workspace_tabs.html`` through ``{% workspace_tabs %}``); the current tab has
``aria-current="page"``.
"""

from typing import NamedTuple

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class WorkspaceTab(NamedTuple):
    order: int
    key: str
    label: str
    url_name: str


WORKSPACE_TABS = [
    WorkspaceTab(10, "summary", _("Synthèse"), "invoices:summary"),
    WorkspaceTab(20, "search", _("Rechercher"), "invoices:list"),
    WorkspaceTab(30, "dashboard", _("Tableau de bord"), "invoices:dashboard"),
    WorkspaceTab(40, "create", _("Saisir facture"), "invoices:create"),
    WorkspaceTab(50, "deposit", _("Dépôt factures"), "invoices:deposit"),
    WorkspaceTab(60, "fiscal", _("Liste fiscale"), "invoices:fiscal"),
    WorkspaceTab(70, "archives", _("Archives"), "invoices:archives"),
]


def workspace_tabs(current: str) -> list[dict]:
    """The tabs in order, each with its URL and whether it is the current page."""
    return [
        {"key": tab.key, "label": tab.label, "url": reverse(tab.url_name), "current": tab.key == current}
        for tab in sorted(WORKSPACE_TABS, key=lambda tab: tab.order)
    ]
