"""The rows of the supplier's invoice tables (Rechercher, Archives, Synthèse), written in Python.

These tables are the body of the busiest pages of the portal. Through the template engine each row
cost ~150 µs (a URL reversed, two dates and an amount through filters, a dozen variable lookups,
an inclusion tag for the badge): a third of the page "Rechercher" and half of the Synthèse (issue
14). Here a row is one ``format_html`` call on values read once: the same markup, each value escaped
by ``format_html`` as the engine would, dates in the portal's time zone as the ``date`` filter gives
them, the amount by ``chorus.formats.money`` (the ``money`` filter), the status label and its badge
class from ``invoices.workflow`` (translated once per process and language).
"""

from datetime import datetime
from html import escape

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from chorus import formats
from invoices import workflow

EMPTY = "—"
# The badge class of each status, one colour per stage (info: on its way, new: with the
# recipient, warning: the supplier must act, error: rejected, success: on its way to payment).
BADGE_CSS = {
    workflow.Status.BROUILLON: "",
    workflow.Status.DEPOSEE: "fr-badge--info",
    workflow.Status.EN_COURS_ACHEMINEMENT: "fr-badge--info",
    workflow.Status.MISE_A_DISPOSITION: "fr-badge--new",
    workflow.Status.PRISE_EN_COMPTE_DESTINATAIRE: "fr-badge--new",
    workflow.Status.A_RECYCLER: "fr-badge--warning",
    workflow.Status.SUSPENDUE: "fr-badge--warning",
    workflow.Status.COMPLETEE: "fr-badge--info",
    workflow.Status.REJETEE: "fr-badge--error",
    workflow.Status.SERVICE_FAIT: "fr-badge--success",
    workflow.Status.MANDATEE: "fr-badge--success",
    workflow.Status.MISE_A_DISPOSITION_COMPTABLE: "fr-badge--success",
    workflow.Status.COMPTABILISEE: "fr-badge--success",
    workflow.Status.MISE_EN_PAIEMENT: "fr-badge--success",
}

_LABELS: dict[tuple[str, str], str] = {}
_DETAIL_URLS: dict[str, str] = {}
_SENTINEL = 987654321


def status_label(status: str) -> str:
    """The French label of a status, translated once per process and language (not
    ``get_status_display`` per row: a choices lookup and a lazy translation each time)."""
    key = (get_language() or "", status)
    label = _LABELS.get(key)
    if label is None:
        label = _LABELS[key] = workflow.status_label(status)
    return label


_BADGES: dict[tuple[str, str], SafeString] = {}


def badge(status: str) -> SafeString:
    """The DSFR badge of a status (``invoices/includes/status_badge.html``'s markup), written once
    per process and language."""
    key = (get_language() or "", status)
    markup = _BADGES.get(key)
    if markup is None:
        markup = _BADGES[key] = format_html(
            '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>',
            BADGE_CSS.get(status, ""),
            status_label(status),
        )
    return markup


def _detail_pattern() -> str:
    prefix = get_script_prefix()
    pattern = _DETAIL_URLS.get(prefix)
    if pattern is None:
        pattern = _DETAIL_URLS[prefix] = reverse("invoices:detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")
    return pattern


def detail_url(pk: int) -> str:
    """``reverse("invoices:detail", args=[pk])`` without resolving the pattern for each row: the
    URL is reversed once per script prefix with a sentinel id, then filled in."""
    return _detail_pattern().format(int(pk))


def day(value, zone=None) -> str:
    """``value|date:"d/m/Y"|default:"—"``: a datetime in the portal's time zone (or ``zone``, the
    current time zone read once for a whole table), a date as it is."""
    if not value:
        return EMPTY
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = value.astimezone(zone or timezone.get_current_timezone())
    return value.strftime("%d/%m/%Y")


def reference(invoice) -> str:
    """The invoice's number as the lists show it: "Avoir …" for a credit note, "(sans numéro)"
    for a draft without one yet."""
    number = invoice.number or "(sans numéro)"
    return f"Avoir {number}" if invoice.invoice_type == "AVOIR" else number


def _recipient(invoice) -> str:
    return invoice.recipient.name if invoice.recipient_id else EMPTY


def search_rows(invoices) -> SafeString:
    """The body rows of "Rechercher" and "Archives": number (the link), identifier, recipient,
    invoice date, deposit date, amount TTC, status. What ``format_html`` would give, each value
    escaped by ``html.escape`` as Django's ``escape`` does (the badge is already markup); what is
    the same for every row (URL pattern, time zone, language) is read once per table."""
    url, zone = _detail_pattern(), timezone.get_current_timezone()
    language = get_language() or ""
    badges = {}
    markup = []
    for invoice in invoices:
        status = invoice.status
        status_badge = badges.get(status)
        if status_badge is None:
            status_badge = badges[status] = _BADGES.get((language, status)) or badge(status)
        markup.append(
            f'<tr>\n<td><a class="fr-link" href="{escape(url.format(int(invoice.pk)))}">{escape(reference(invoice))}</a></td>\n'
            f"<td>{escape(invoice.identifier or EMPTY)}</td>\n<td>{escape(_recipient(invoice))}</td>\n"
            f"<td>{escape(day(invoice.invoice_date, zone))}</td>\n<td>{escape(day(invoice.sent_at, zone))}</td>\n"
            f'<td class="chorus-amount">{escape(formats.money(invoice.amount_ttc))}</td>\n'
            f"<td>{status_badge}</td>\n</tr>\n"
        )
    return mark_safe("".join(markup))


def summary_rows(invoices) -> SafeString:
    """The body rows of the short lists of the Synthèse: reference and identifier, recipient,
    invoice date, amount TTC, status, a "Consulter" link named for screen readers."""
    return mark_safe(
        "".join(
            format_html(
                "<tr>\n<td>{}{}</td>\n<td>{}</td>\n<td>{}</td>\n"
                '<td class="chorus-amount">{}</td>\n<td>{}</td>\n'
                '<td><a class="fr-link" href="{}">Consulter<span class="fr-sr-only"> la facture {}</span></a></td>\n'
                "</tr>\n",
                reference(invoice),
                format_html('<br><span class="fr-text--xs">{}</span>', invoice.identifier)
                if invoice.identifier
                else "",
                _recipient(invoice),
                day(invoice.invoice_date),
                formats.money(invoice.amount_ttc),
                badge(invoice.status),
                detail_url(invoice.pk),
                invoice.number or invoice.pk,
            )
            for invoice in invoices
        )
    )
