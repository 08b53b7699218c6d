"""Display helpers of the invoice pages: status badges, a typed line's total (formats: ``{% load chorus %}``)."""

from django import template
from django.core.exceptions import ValidationError

from chorus import formats
from invoices.models import InvoiceStatus
from invoices.totals import line_total

register = template.Library()

_BADGES = {
    InvoiceStatus.DRAFT: "",
    InvoiceStatus.DEPOSITED: "fr-badge--info",
    InvoiceStatus.ROUTING: "fr-badge--info",
    InvoiceStatus.AVAILABLE: "fr-badge--new",
    InvoiceStatus.ACKNOWLEDGED: "fr-badge--new",
    InvoiceStatus.TO_RECYCLE: "fr-badge--warning",
    InvoiceStatus.SUSPENDED: "fr-badge--warning",
    InvoiceStatus.COMPLETED: "fr-badge--info",
    InvoiceStatus.REJECTED: "fr-badge--error",
    InvoiceStatus.SERVICE_DONE: "fr-badge--success",
    InvoiceStatus.MANDATED: "fr-badge--success",
    InvoiceStatus.ACCOUNTING_AVAILABLE: "fr-badge--success",
    InvoiceStatus.ACCOUNTED: "fr-badge--success",
    InvoiceStatus.PAYMENT: "fr-badge--success",
}


@register.inclusion_tag("invoices/includes/status_badge.html")
def status_badge(invoice):
    return {"label": invoice.get_status_display(), "css": _BADGES.get(invoice.status, "")}


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
