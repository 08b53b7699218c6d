"""Display helpers of the invoice pages: amounts in euros, VAT rates, status badges."""

from decimal import Decimal

from django import template

from invoices.models import InvoiceStatus
from invoices.totals import format_eur

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


@register.filter
def eur(value):
    """Decimal("1234.5") → "1 234,50 €"; "—" when empty."""
    return format_eur(value)


@register.filter
def vat_rate(value):
    if value in (None, ""):
        return "—"
    return f"{Decimal(value).normalize():f}".replace(".", ",") + " %"


@register.inclusion_tag("invoices/includes/status_badge.html")
def status_badge(invoice):
    return {"label": invoice.get_status_display(), "css": _BADGES.get(invoice.status, "")}
