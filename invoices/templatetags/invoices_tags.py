"""Display helpers of the invoice pages: status badges, a typed line's total (formats: ``{% load chorus %}``)."""

from django import template
from django.core.exceptions import ValidationError

from chorus import formats
from invoices.totals import line_total
from invoices.views.tabs import workspace_tabs as _workspace_tabs
from invoices.workflow import Status

register = template.Library()

_BADGES = {
    Status.BROUILLON: "",
    Status.DEPOSEE: "fr-badge--info",
    Status.EN_COURS_ACHEMINEMENT: "fr-badge--info",
    Status.MISE_A_DISPOSITION: "fr-badge--new",
    Status.PRISE_EN_COMPTE_DESTINATAIRE: "fr-badge--new",
    Status.A_RECYCLER: "fr-badge--warning",
    Status.SUSPENDUE: "fr-badge--warning",
    Status.COMPLETEE: "fr-badge--info",
    Status.REJETEE: "fr-badge--error",
    Status.SERVICE_FAIT: "fr-badge--success",
    Status.MANDATEE: "fr-badge--success",
    Status.MISE_A_DISPOSITION_COMPTABLE: "fr-badge--success",
    Status.COMPTABILISEE: "fr-badge--success",
    Status.MISE_EN_PAIEMENT: "fr-badge--success",
}


@register.inclusion_tag("invoices/includes/status_badge.html")
def status_badge(invoice):
    return {"label": invoice.get_status_display(), "css": _BADGES.get(invoice.status, "")}


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
