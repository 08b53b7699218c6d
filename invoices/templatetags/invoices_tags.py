"""Display helpers of the invoice pages: status badges, a typed line's total (formats: ``{% load chorus %}``)."""

from django import template
from django.core.exceptions import ValidationError

from chorus import formats
from invoices import rows
from invoices.totals import line_total
from invoices.views.tabs import workspace_tabs as _workspace_tabs

register = template.Library()


@register.simple_tag
def status_badge(invoice):
    """The DSFR badge of the invoice's status (``invoices.rows.badge``, also used by the lists)."""
    return rows.badge(invoice.status)


@register.filter
def search_rows(invoices):
    """The body rows of "Rechercher" and "Archives" (``invoices.rows``: written in Python, the
    busiest table of the portal)."""
    return rows.search_rows(invoices)


@register.filter
def summary_rows(invoices):
    """The body rows of a short list of the Synthèse (``invoices.rows``)."""
    return rows.summary_rows(invoices)


@register.inclusion_tag("invoices/includes/workspace_tabs.html")
def workspace_tabs(current):
    """The tab bar of "Factures émises", ``current`` being the key of the page's tab."""
    return {"tabs": _workspace_tabs(current)}


@register.filter
def line_total_ht(line_form) -> str:
    """The total HT of a line of the invoice form, from what it holds (typed or saved), as the page
    script shows it: quantity × unit price to the cent; empty until both are positive numbers of at
    most four decimals, or when the line is marked for deletion."""
    values = []
    for name in ("quantity", "unit_price_ht"):
        try:
            value = line_form.fields[name].to_python(line_form[name].value())
        except ValidationError:
            return ""
        if value is None or value < 0 or -value.as_tuple().exponent > 4:
            return ""
        values.append(value)
    if "DELETE" in line_form.fields and line_form["DELETE"].value():
        return ""
    return formats.money(line_total(*values))
