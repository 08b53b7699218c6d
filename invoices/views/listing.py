"""The supplier's invoices: "Rechercher" (``/factures/``), "Archives" (end statuses) and the CSV
export of either, all from the same criteria (``forms.search.InvoiceSearchForm``, a GET form).

Pages are read by keyset (``invoices/keyset.py``): no OFFSET and no COUNT over the supplier's
invoices; the number of results is counted up to ``COUNT_CAP`` only ("plus de 1 000 résultats").
Queries of a page: the session and the user, the user's memberships, the supplier's services (the
criterion), the page (a second one on the page where dated rows give way to undated drafts) and
the capped count, unless the whole result fits on one page: 6 at most, whatever the page. The page
and the count are statements prepared by shape (``invoices/search.py``), their rows read as values.

The criteria form (16 fields) is built, validated and rendered once per set of criteria: its HTML
and its cleaned criteria are kept together (``search_criteria``): the same URL gives the same form.
"""

from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from chorus import fragments
from invoices import exports, keyset, search, selectors
from invoices.forms import search as search_form
from invoices.forms.search import SORTS, InvoiceSearchForm
from invoices.views._common import current_supplier, no_structure

PAGE_SIZE = 20
COUNT_CAP = 1000
# Column headers: (sort key or None, label, right-aligned). The invoice number links to the invoice.
COLUMNS = [
    ("numero", _("N° de facture"), False),
    (None, _("Identifiant"), False),
    (None, _("Destinataire"), False),
    ("date_facture", _("Date de facture"), False),
    ("date_depot", _("Date de dépôt"), False),
    ("montant", _("Montant TTC"), True),
    (None, _("Statut"), False),
]


def _rows(request, *, archives: bool):
    """The supplier, the criteria (``search_criteria``) and the page's source of rows
    (``invoices.search``, None when a criterion is wrong)."""
    supplier = current_supplier(request)
    if supplier is None:
        return None, None, None
    criteria = search_criteria(request, supplier, archives=archives)
    if criteria.criteria is None:
        return supplier, criteria, None
    bounds = selectors.search_bounds(criteria.criteria)
    return supplier, criteria, search.SearchRows(supplier.pk, bounds, archives=archives)


def _headers(params: QueryDict, sort: str, descending: bool) -> list[dict]:
    headers = []
    for key, label, numeric in COLUMNS:
        header = {"label": label, "numeric": numeric, "sortable": key is not None, "aria_sort": None}
        if key is not None:
            default_descending = SORTS[key][2]
            if key == sort:
                header["aria_sort"] = "descending" if descending else "ascending"
                next_descending = not descending
            else:
                next_descending = default_descending
            header["url"] = keyset.page_query(params, tri=("-" if next_descending else "") + key)
            header["next_label"] = _("décroissant") if next_descending else _("croissant")
        headers.append(header)
    return headers


SEARCH_FORM_TEMPLATE = "invoices/includes/search_form.html"
SEARCH_FORM_SECONDS = 600


class Criteria(NamedTuple):
    html: str  # the summary of the errors and the form, as SEARCH_FORM_TEMPLATE writes them
    criteria: dict | None  # InvoiceSearchForm.criteria(), None when a criterion is wrong
    sort: str
    descending: bool


def search_criteria(request, supplier, *, archives: bool) -> Criteria:
    """The criteria of the URL: the form's HTML and its cleaned criteria, kept together.

    Both are a function of the query (cursors aside), of the list (archives or not: other status
    choices) and of the supplier's services (a criterion, read here on every page): under a key
    made of these, they are kept in this process, then in the cache (``chorus.fragments.kept``),
    and the form is neither built nor validated again for the same criteria."""
    services = search_form.supplier_services(supplier)
    query = keyset.page_query(request.GET)
    key = fragments.template_key(
        "search-criteria",
        SEARCH_FORM_TEMPLATE,
        str(archives),
        repr([(s.pk, s.code, s.name) for s in services]),
        query,
    )

    def compute() -> Criteria:
        form = InvoiceSearchForm(request.GET, services=services, archives=archives)
        valid = form.is_valid()
        html = render_to_string(SEARCH_FORM_TEMPLATE, {"form": form, "archives": archives})
        return Criteria(html, form.criteria() if valid else None, *form.sort())

    return fragments.kept(key, compute, timeout=SEARCH_FORM_SECONDS)


def _page(request, *, archives: bool):
    supplier, criteria, invoices = _rows(request, archives=archives)
    if supplier is None:
        return no_structure(request)
    sort, descending = criteria.sort, criteria.descending
    context = {
        "page_title": _("Archives") if archives else _("Rechercher une facture"),
        "workspace_tab": "archives" if archives else "search",
        "archives": archives,
        "supplier": supplier,
        "form_html": mark_safe(criteria.html),  # noqa: S308 (rendered and escaped by its template)
        "page": None,
        "rows": [],
        "total": None,
        "total_capped": False,
        "sort_label": SORTS[sort][1],
        "descending": descending,
        "headers": _headers(request.GET, sort, descending),
        "export_url": "",
        "first_url": "",
        "next_url": "",
        "previous_url": "",
        "has_criteria": False,
    }
    if invoices is not None:
        page = keyset.paginate(
            invoices,
            keyset.SortKey(SORTS[sort][0]),
            descending=descending,
            page_size=PAGE_SIZE,
            after=request.GET.get("apres"),
            before=request.GET.get("avant"),
        )
        query = keyset.page_query(request.GET)  # the search without its cursor
        if not page.has_next and not page.has_previous:
            total = len(page.rows)  # the whole result is on this page: nothing to count
        else:
            total = invoices.count(COUNT_CAP + 1)
        context.update(
            page=page,
            rows=page.rows,
            total=min(total, COUNT_CAP),
            total_capped=total > COUNT_CAP,
            export_url=query,
            first_url=query if page.has_previous else "",
            next_url=keyset.page_query(request.GET, apres=page.next_cursor) if page.has_next else "",
            previous_url=keyset.page_query(request.GET, avant=page.previous_cursor) if page.has_previous else "",
            has_criteria=bool(criteria.criteria),
        )
    return render(request, "invoices/invoice_list.html", context)


@login_required
def invoice_list(request):
    """ "Rechercher": every invoice of the current supplier structure, by criteria."""
    return _page(request, archives=False)


@login_required
def invoice_archives(request):
    """ "Archives": the invoices in an end status (rejected, paid), by the same criteria."""
    return _page(request, archives=True)


def _export(request, *, archives: bool):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    criteria = search_criteria(request, supplier, archives=archives)
    if criteria.criteria is None:
        return _page(request, archives=archives)  # the criteria's errors, next to their fields
    invoices = selectors.invoice_search(supplier=supplier, criteria=criteria.criteria, archives=archives)
    return exports.streamed_csv(
        invoices,
        keyset.SortKey(SORTS[criteria.sort][0]),
        descending=criteria.descending,
        filename=f"{'archives' if archives else 'factures'}-{supplier.identifier}.csv",
    )


@login_required
def invoice_export(request):
    """The CSV of a search of "Rechercher": every matching invoice, streamed."""
    return _export(request, archives=False)


@login_required
def invoice_archives_export(request):
    """The CSV of a search of "Archives"."""
    return _export(request, archives=True)
