"""Display helpers of the invoice pages: amounts in euros, VAT rates, status badges."""

from decimal import Decimal

from django import template

from invoices.totals import format_eur
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
