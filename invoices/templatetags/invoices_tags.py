"""Display helpers of the invoice pages: status badges (amounts and rates: ``{% load chorus %}``)."""

from django import template

from invoices.models import InvoiceStatus

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
