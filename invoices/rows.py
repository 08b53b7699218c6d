"""The rows of the supplier's invoice tables (Rechercher, Archives, Synthèse, Liste fiscale,
factures en retard), written in Python.

These tables are the body of the busiest pages of the portal. Through the template engine each row
cost ~150 µs (a URL reversed, two dates and an amount through filters, a dozen variable lookups,
an inclusion tag for the badge): a third of the page "Rechercher" and half of the Synthèse (issue
14). Here a row is one string formatted from values read once: the same markup, each value escaped
as the engine would (``escape``: ``conditional_escape`` without the lazy-string wrapper of
Django's, itself a tenth of a row), dates in the portal's time zone as the ``date`` filter gives
them, the amount by ``chorus.formats.money`` (the ``money`` filter), the URL of the invoice
formatted from a pattern reversed once, the status label and its badge from ``invoices.workflow``
(written once per process and language).
"""

import html
from datetime import datetime

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
_BADGES: dict[tuple[str, str], SafeString] = {}
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


def badge(status: str, language: str | None = None) -> SafeString:
    """The DSFR badge of a status (``invoices/includes/status_badge.html``'s markup), written once
    per process, language and status (``language``: the current one, when read once for many
    rows)."""
    key = (language if language is not None else get_language() or "", status)
    markup = _BADGES.get(key)
    if markup is None:
        markup = _BADGES[key] = format_html(
            '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>',
            BADGE_CSS.get(status, ""),
            status_label(status),
        )
    return markup


def escape(value) -> str:
    """``conditional_escape(value)`` (the engine's ``{{ value }}``) for a string, a number or safe
    markup, without the lazy-string wrapper of Django's ``escape`` (a tenth of a row's cost)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _format(template: str, *args) -> str:
    """``format_html(template, *args)``: each argument escaped unless safe."""
    return template.format(*map(escape, args))


def detail_urls() -> str:
    """The pattern of ``reverse("invoices:detail", args=[pk])`` (``pattern.format(pk)``) without
    resolving it for each row: reversed once per script prefix with a sentinel id."""
    prefix = get_script_prefix()
    pattern = _DETAIL_URLS.get(prefix)
    if pattern is None:
        pattern = _DETAIL_URLS[prefix] = reverse("invoices:detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")
    return pattern


def detail_url(pk: int) -> str:
    """``reverse("invoices:detail", args=[pk])`` (``detail_urls``)."""
    return detail_urls().format(int(pk))


def day(value, zone=None) -> str:
    """``value|date:"d/m/Y"|default:"—"``: a datetime in the portal's time zone (``zone``: the
    current one, when read once for many values), a date as it is."""
    if not value:
        return EMPTY
    if isinstance(value, datetime) and value.utcoffset() is not None:
        value = value.astimezone(zone or timezone.get_current_timezone())
    return f"{value.day:02d}/{value.month:02d}/{value.year}"  # strftime("%d/%m/%Y"), a third of its cost


def reference(invoice) -> str:
    """The invoice's number as the lists show it: "Avoir …" for a credit note, "(sans numéro)"
    for a draft without one yet."""
    number = invoice.number or "(sans numéro)"
    return f"Avoir {number}" if invoice.invoice_type == "AVOIR" else number


def _recipient(invoice) -> str:
    return invoice.recipient.name if invoice.recipient_id else EMPTY


_ARROWS = {
    "ascending": '<span class="fr-icon-arrow-up-s-line fr-icon--sm" aria-hidden="true"></span>',
    "descending": '<span class="fr-icon-arrow-down-s-line fr-icon--sm" aria-hidden="true"></span>',
}


def search_head(headers) -> SafeString:
    """The header cells of "Rechercher" and "Archives" (``listing._headers``): each sortable column
    a link to the same search sorted by it, its current direction in ``aria-sort``."""
    cells = []
    for h in headers:
        numeric = ' class="chorus-amount"' if h["numeric"] else ""
        sort = f' aria-sort="{escape(h["aria_sort"])}"' if h["aria_sort"] else ""
        if h["sortable"]:
            label = (
                f'<a class="chorus-sort" href="{escape(h["url"])}">{escape(h["label"])}'
                f"{_ARROWS.get(h['aria_sort'], '')}"
                f'<span class="fr-sr-only"> : trier par ordre {escape(h["next_label"])}</span></a>'
            )
        else:
            label = escape(h["label"])
        cells.append(f'\n          <th scope="col"{numeric}{sort}>{label}</th>\n        ')
    return mark_safe("".join(cells))  # noqa: S308 (every value escaped above)


def search_rows(invoices) -> SafeString:
    """The body rows of "Rechercher" and "Archives": number (the link), identifier, recipient,
    invoice date, deposit date, amount TTC, status."""
    url = detail_urls()
    zone = timezone.get_current_timezone()
    language = get_language() or ""
    return mark_safe(
        "".join(
            _format(
                '<tr>\n<td><a class="fr-link" href="{}">{}</a></td>\n<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n'
                '<td>{}</td>\n<td class="chorus-amount">{}</td>\n<td>{}</td>\n</tr>\n',
                url.format(int(invoice.pk)),
                reference(invoice),
                invoice.identifier or EMPTY,
                _recipient(invoice),
                day(invoice.invoice_date),
                day(invoice.sent_at, zone),
                formats.money(invoice.amount_ttc),
                badge(invoice.status, language),
            )
            for invoice in invoices
        )
    )


def summary_rows(invoices) -> SafeString:
    """The body rows of the short lists of the Synthèse: reference and identifier, recipient,
    invoice date, amount TTC, status, a "Consulter" link named for screen readers."""
    url = detail_urls()
    language = get_language() or ""
    return mark_safe(
        "".join(
            _format(
                "<tr>\n<td>{}{}</td>\n<td>{}</td>\n<td>{}</td>\n"
                '<td class="chorus-amount">{}</td>\n<td>{}</td>\n'
                '<td><a class="fr-link" href="{}">Consulter<span class="fr-sr-only"> la facture {}</span></a></td>\n'
                "</tr>\n",
                reference(invoice),
                mark_safe(_format('<br><span class="fr-text--xs">{}</span>', invoice.identifier))
                if invoice.identifier
                else "",
                _recipient(invoice),
                day(invoice.invoice_date),
                formats.money(invoice.amount_ttc),
                badge(invoice.status, language),
                url.format(int(invoice.pk)),
                invoice.number or invoice.pk,
            )
            for invoice in invoices
        )
    )


def fiscal_rows(invoices) -> SafeString:
    """The body rows of the Liste fiscale's list, one per VAT line of each invoice
    (``figures.FiscalInvoice``, amounts signed): date, number (the link, "Avoir …" for a credit
    note), recipient, rate, HT, TVA, TTC."""
    url = detail_urls()
    money, percent = formats.money, formats.percent
    parts = []
    for invoice in invoices:
        if not invoice.signed_vat_lines:
            continue
        head = (
            f"<tr>\n      <td>{invoice.invoice_date:%d/%m/%Y}</td>\n"
            f'      <td><a class="fr-link" href="{url.format(int(invoice.pk))}">'
            f"{'Avoir ' if invoice.invoice_type == 'AVOIR' else ''}{escape(invoice.number)}</a></td>\n"
            f"      <td>{EMPTY if invoice.recipient_name is None else escape(invoice.recipient_name)}</td>\n"
        )
        for vat in invoice.signed_vat_lines:
            parts.append(
                f'{head}      <td class="chorus-amount">{percent(vat.rate)}</td>\n'
                f'      <td class="chorus-amount">{money(vat.ht)}</td>\n'
                f'      <td class="chorus-amount">{money(vat.tva)}</td>\n'
                f'      <td class="chorus-amount">{money(vat.ttc)}</td>\n    </tr>'
            )
    return mark_safe("".join(parts))


def late_rows(late) -> SafeString:
    """The body rows of the late invoices (``figures.LateRow``: the invoice and its payment clock):
    number (the link) and status, recipient, due date, days late, amount TTC, indicative interest
    and its rate, indemnity."""
    url = detail_urls()
    money = formats.money
    parts = []
    for row in late:
        invoice, clock = row.invoice, row.clock
        interest = (
            f'{money(clock.interest)}<br><span class="fr-text--xs">taux {formats.percent(clock.rate)}</span>'
            if clock.interest is not None
            else "taux non renseigné"
        )
        parts.append(
            f'<tr>\n      <td><a class="fr-link" href="{url.format(int(invoice.pk))}">'
            f"{escape(invoice.number or invoice.identifier)}</a><br>"
            f'<span class="fr-text--xs">{escape(status_label(invoice.status))}</span></td>\n'
            f"      <td>{escape(invoice.recipient.name) if invoice.recipient_id is not None else EMPTY}</td>\n"
            f"      <td>{f'{clock.due_on:%d/%m/%Y}' if clock.due_on else ''}</td>\n"
            f'      <td class="chorus-amount">{formats.integer(clock.late_days)}</td>\n'
            f'      <td class="chorus-amount">{money(invoice.amount_ttc)}</td>\n'
            f'      <td class="chorus-amount">{interest}</td>\n'
            f'      <td class="chorus-amount">{money(clock.indemnity)}</td>\n    </tr>'
        )
    return mark_safe("".join(parts))
