"""The supplier's invoices ("Factures émises"), by tab (all, drafts, sent), paginated."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.views._common import current_supplier, no_structure

PAGE_SIZE = 20
TABS = [("", _("Toutes")), ("brouillons", _("Brouillons")), ("envoyees", _("Envoyées"))]


@login_required
def invoice_list(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    tab = request.GET.get("onglet", "")
    if tab not in dict(TABS):
        tab = ""
    page = Paginator(selectors.invoice_list(supplier=supplier, tab=tab), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "page_title": _("Factures émises"),
            "supplier": supplier,
            "page_obj": page,
            "tab": tab,
            "tabs": [{"key": key, "label": label, "active": key == tab} for key, label in TABS],
        },
    )
