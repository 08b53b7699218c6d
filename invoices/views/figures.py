"""The supplier's figures: Synthèse, Tableau de bord, Liste fiscale (page, CSV, PDF) and the late
invoices. Reads in ``invoices.figures``; the current supplier structure bounds everything.

Queries per page (measured by tests/invoices/test_figures_views.py, session and user included):
Synthèse 4 (its five capped counts in one query, its three short lists in another), Tableau de
bord 7 (figures not in the cache yet), Liste fiscale 5 (a page and its VAT lines in one query),
Factures en retard 9 at most; none grows with the number of invoices shown."""

import csv
from datetime import date
from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chorus import formats, fragments
from chorus.ids import parse_id
from invoices import charts, figures, figures_cache, keyset, rendering_figures
from invoices.downloads import download, private_headers
from invoices.forms.periods import DashboardPeriodForm, FiscalPeriodForm, month_value
from invoices.views._common import current_supplier, no_structure
from invoices.workflow import Status

CSV_HEADER = [
    "Date de facture",
    "Numéro",
    "Identifiant",
    "Type",
    "SIRET destinataire",
    "Destinataire",
    "Statut",
    "Taux de TVA (%)",
    "Base HT",
    "TVA",
    "TTC",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _after(value: str) -> tuple[date, int] | None:
    """A keyset cursor ``AAAA-MM-JJ.id`` from the query string (None if absent or malformed)."""
    day, _sep, pk = (value or "").partition(".")
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    pk = parse_id(pk)
    return (parsed, pk) if pk else None


def _cursor(key) -> str:
    return f"{key[0]:%Y-%m-%d}.{key[1]}" if key else ""


@login_required
@require_GET
def invoice_summary(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    summary = figures.summary(supplier)
    return render(
        request,
        "invoices/invoice_summary.html",
        {
            "page_title": _("Synthèse"),
            "workspace_tab": "summary",
            "supplier": supplier,
            "summary": summary,
            "cap": figures.COUNT_CAP,
        },
    )


DASHBOARD_BODY = "invoices/includes/dashboard_body.html"


@login_required
@require_GET
def invoice_dashboard(request):
    """The Tableau de bord. Its body (figures, charts, tables, the period's form) is a function of
    the figures and of the query: it is kept with the figures (``figures_cache``, the same
    invalidation: any status change of one of the supplier's invoices) and written again only then."""
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    form = DashboardPeriodForm(request.GET)
    context = {"page_title": _("Tableau de bord"), "workspace_tab": "dashboard", "supplier": supplier}
    if form.is_bound and not form.is_valid():
        context["body"] = render_to_string(DASHBOARD_BODY, {"form": form})
        return render(request, "invoices/invoice_dashboard.html", context, status=200)
    start, end = form.period()
    recipient_id = parse_id(request.GET.get("destinataire", ""))
    today = timezone.localdate()
    key = (start, end, recipient_id, today, sorted(request.GET.lists()), get_language(), get_script_prefix())
    context["body"] = mark_safe(  # noqa: S308 (written and escaped by its template)
        figures_cache.cached(
            supplier.pk,
            "dashboard-body-" + fragments.template_digest(DASHBOARD_BODY),
            key,
            lambda: _dashboard_body(supplier, form, start, end, recipient_id, today),
        )
    )
    return render(request, "invoices/invoice_dashboard.html", context)


def _dashboard_body(supplier, form, start: date, end: date, recipient_id, today: date) -> str:
    recipient = figures.public_recipient(recipient_id)
    board = figures_cache.cached(
        supplier.pk,
        "dashboard",
        (start, end, recipient.pk if recipient else None, today),
        lambda: figures.dashboard(supplier, start=start, end=end, recipient=recipient, today=today),
    )
    last = figures.add_months(end, -1)
    if not form.is_bound:
        form = DashboardPeriodForm({"du": month_value(start), "au": month_value(last)})
        form.is_valid()
    return render_to_string(
        DASHBOARD_BODY,
        {
            "form": form,
            "board": board,
            "period_start": start,
            "period_last": last,
            "period_query": f"du={month_value(start)}&au={month_value(last)}",
            "late_due": board.late.interest + board.late.indemnities,
            **_descriptions(board, start, last),
            "month_chart": charts.column_chart(_month_items(board.months, "amount"), money=True),
            "month_count_chart": charts.column_chart(_month_items(board.months, "count"), money=False),
            "status_chart": charts.bar_chart([(b.label, b.count) for b in board.statuses], money=False),
            "recipient_chart": charts.bar_chart([(b.label, b.amount) for b in board.recipients], money=True),
        },
    )


def _month_items(months, attribute: str) -> list[tuple]:
    """(short month, value, year under January and the first month, full name) per month."""
    return [
        (
            figures.month_label(b.key, short=True),
            getattr(b, attribute),
            str(b.key.year) if index == 0 or b.key.month == 1 else "",
            b.label,
        )
        for index, b in enumerate(months)
    ]


def _descriptions(board, start: date, last: date) -> dict:
    """The ``desc`` of each chart: what a person would read at a glance, in one or two sentences."""
    period = _("de %(start)s à %(last)s") % {
        "start": figures.month_label(start),
        "last": figures.month_label(last),
    }
    if not board.total.count:
        nothing = _("Aucune facture envoyée %(period)s.") % {"period": period}
        return dict.fromkeys(("month_desc", "month_count_desc", "status_desc", "recipient_desc"), nothing)
    top_amount = max(board.months, key=lambda b: b.amount)
    top_count = max(board.months, key=lambda b: b.count)
    top_status = max(board.statuses, key=lambda b: b.count)
    top_recipient = board.recipients[0]
    return {
        "month_desc": _("%(period)s : %(total)s TTC en tout ; le mois le plus élevé est %(month)s (%(amount)s).")
        % {
            "period": period.capitalize(),
            "total": formats.money(board.total.amount),
            "month": top_amount.label,
            "amount": formats.money(top_amount.amount),
        },
        "month_count_desc": _("%(period)s : %(total)s factures ; le plus en %(month)s (%(count)s).")
        % {
            "period": period.capitalize(),
            "total": formats.integer(board.total.count),
            "month": top_count.label,
            "count": formats.integer(top_count.count),
        },
        "status_desc": _("%(n)s statuts ; le plus fréquent : %(status)s (%(count)s factures sur %(total)s).")
        % {
            "n": len(board.statuses),
            "status": top_status.label,
            "count": formats.integer(top_status.count),
            "total": formats.integer(board.total.count),
        },
        "recipient_desc": _("Premier destinataire : %(name)s, %(amount)s TTC sur %(total)s.")
        % {
            "name": top_recipient.label,
            "amount": formats.money(top_recipient.amount),
            "total": formats.money(board.total.amount),
        },
    }


FISCAL_FORM_TEMPLATE = "invoices/includes/fiscal_period_form.html"
FISCAL_FORM_SECONDS = 600


class FiscalPeriod(NamedTuple):
    html: str  # the period form, as FISCAL_FORM_TEMPLATE writes it (its errors included)
    start: date | None  # None when the period is not valid
    end: date | None
    query: str


def fiscal_period(request) -> FiscalPeriod:
    """The period of the URL and its form's HTML, kept together: both are a function of the query
    (cursor aside), of the day (the default period is the previous month) and of the language, so
    the form is built, validated and rendered once for each (``chorus.fragments.kept``)."""
    today = timezone.localdate()
    query = keyset.page_query(request.GET)
    key = fragments.template_key("fiscal-period", FISCAL_FORM_TEMPLATE, str(today), query)

    def compute() -> FiscalPeriod:
        form = FiscalPeriodForm(request.GET, today=today)
        valid = not form.is_bound or form.is_valid()
        kind = form.data.get("periode") if form.is_bound else form.default["periode"]
        html = render_to_string(FISCAL_FORM_TEMPLATE, {"form": form, "period_kind": kind})
        if not valid:
            return FiscalPeriod(html, None, None, "")
        start, end = form.period()
        return FiscalPeriod(html, start, end, form.query())

    return fragments.kept(key, compute, timeout=FISCAL_FORM_SECONDS)


def _fiscal_context(request, supplier) -> dict:
    period = fiscal_period(request)
    context = {
        "page_title": _("Liste fiscale"),
        "workspace_tab": "fiscal",
        "supplier": supplier,
        "period_form_html": mark_safe(period.html),  # noqa: S308 (rendered and escaped by its template)
        "what_counts": rendering_figures.WHAT_COUNTS,
    }
    if period.start is not None:
        context.update({"start": period.start, "end": period.end, "query": period.query})
    return context


@login_required
@require_GET
def invoice_fiscal(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    context = _fiscal_context(request, supplier)
    if "start" in context:
        start, end = context["start"], context["end"]
        by_rate, total = figures_cache.cached(
            supplier.pk, "fiscal", (start, end), lambda: figures.fiscal_totals(supplier, start=start, end=end)
        )
        invoices, following = figures.fiscal_page(
            supplier, start=start, end=end, after=_after(request.GET.get("apres", ""))
        )
        context.update(
            {
                "by_rate": by_rate,
                "total": total,
                "invoices": invoices,
                "next_cursor": _cursor(following),
                "first_page": not request.GET.get("apres"),
            }
        )
    return render(request, "invoices/invoice_fiscal.html", context)


def _period_name(start: date, end: date) -> str:
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def _text(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number(value) -> str:
    return f"{value:.2f}".replace(".", ",")


class _Echo:
    def write(self, value):
        return value


def fiscal_csv_rows(supplier, *, start: date, end: date):
    """The lines of the CSV: BOM and header, one row per VAT line of each invoice (credit notes
    negative), then the totals by rate and the grand total; streamed by chunks of invoices."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    statuses = dict(Status.choices)
    for invoice in figures.fiscal_rows(supplier, start=start, end=end).iterator(chunk_size=1000):
        sign = figures.sign(invoice)
        recipient = invoice.recipient
        for vat in invoice.vat_lines.all():
            yield writer.writerow(
                [
                    f"{invoice.invoice_date:%d/%m/%Y}",
                    _text(invoice.number),
                    _text(invoice.identifier),
                    invoice.get_invoice_type_display(),
                    recipient.identifier if recipient else "",
                    _text(recipient.name if recipient else ""),
                    statuses.get(invoice.status, invoice.status),
                    _number(vat.rate),
                    _number(sign * vat.base_ht),
                    _number(sign * vat.vat_amount),
                    _number(sign * (vat.base_ht + vat.vat_amount)),
                ]
            )
    by_rate, total = figures.fiscal_totals(supplier, start=start, end=end)
    yield writer.writerow([])
    for row in by_rate:
        yield writer.writerow(
            [f"Total TVA {formats.percent(row.rate)}", "", "", "", "", "", "", _number(row.rate)]
            + [_number(row.ht), _number(row.tva), _number(row.ttc)]
        )
    yield writer.writerow(
        ["Total général", "", "", "", "", "", "", ""] + [_number(total.ht), _number(total.tva), _number(total.ttc)]
    )


@login_required
@require_GET
def invoice_fiscal_csv(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    context = _fiscal_context(request, supplier)
    if "start" not in context:
        return render(request, "invoices/invoice_fiscal.html", context, status=400)
    start, end = context["start"], context["end"]
    response = StreamingHttpResponse(
        fiscal_csv_rows(supplier, start=start, end=end), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="liste-fiscale-{_period_name(start, end)}.csv"'
    return private_headers(response)


@login_required
@require_GET
def invoice_fiscal_pdf(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    context = _fiscal_context(request, supplier)
    if "start" not in context:
        return render(request, "invoices/invoice_fiscal.html", context, status=400)
    start, end = context["start"], context["end"]
    content = rendering_figures.render_fiscal_pdf(supplier, start=start, end=end)
    return download(content, filename=f"liste-fiscale-{_period_name(start, end)}.pdf", content_type="application/pdf")


@login_required
@require_GET
def invoice_late(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    today = timezone.localdate()
    after = _after(request.GET.get("apres", ""))
    rows, following = figures.late_page(supplier, after=after, today=today)
    return render(
        request,
        "invoices/invoice_late.html",
        {
            "page_title": _("Factures en retard de paiement"),
            "workspace_tab": "search",
            "supplier": supplier,
            "rows": rows,
            "summary": figures.late_summary(supplier, today=today, shown=0) if after is None else None,
            "next_cursor": _cursor(following),
            "first_page": after is None,
            "today": today,
        },
    )
