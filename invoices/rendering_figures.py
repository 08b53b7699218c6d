"""The Liste fiscale as a PDF (fpdf2, the document class of ``invoices/rendering.py``): the totals by
VAT rate, then the invoices of the period, one line per VAT rate of each, credit notes negative.

Past ``PDF_MAX_INVOICES`` invoices the list stops (the totals stay complete) and says that the CSV
holds them all: a PDF of a hundred thousand lines serves nobody and would take minutes to build.
"""

from datetime import date

from django.utils import timezone

from chorus import formats
from invoices import figures
from invoices.rendering import _Document

PDF_MAX_INVOICES = 2000
WHAT_COUNTS = (
    "Les factures envoyées (hors brouillons), par date de facture, sauf celles que le destinataire a "
    "rejetées (une facture rejetée est remplacée par une nouvelle) ; les avoirs sont comptés en négatif."
)
_WIDTHS = (20, 30, 54, 16, 24, 22, 24)
_HEADERS = ("Date", "Numéro", "Destinataire", "Taux", "Base HT", "TVA", "TTC")
_ALIGNS = ("L", "L", "L", "R", "R", "R", "R")


def _row(pdf, cells, *, bold=False, fill=False):
    pdf.set_font(pdf.family, "B" if bold else "", 8)
    for width, text, align in zip(_WIDTHS, cells, _ALIGNS, strict=True):
        text = pdf.text_safe(text)
        while text and pdf.get_string_width(text) > width - 2:
            text = text[:-2] + "…" if len(text) > 2 else text[:-1]
        pdf.cell(width, 6, text, border=1, align=align, fill=fill)
    pdf.ln()


def render_fiscal_pdf(supplier, *, start: date, end: date) -> bytes:
    title = f"Liste fiscale du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    pdf = _Document(title)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_text(title, size=15, bold=True, height=8)
    pdf.line_text(f"{supplier.name} — SIRET {supplier.identifier}", size=10)
    if supplier.vat_number:
        pdf.line_text(f"TVA intracommunautaire {supplier.vat_number}", size=9)
    pdf.line_text(f"Éditée le {timezone.localtime():%d/%m/%Y à %H:%M}", size=8, height=5)
    pdf.line_text(f"Factures comptées : {WHAT_COUNTS[0].lower()}{WHAT_COUNTS[1:]}", size=8, height=4)
    pdf.ln(3)

    by_rate, total = figures.fiscal_totals(supplier, start=start, end=end)
    pdf.line_text("Totaux par taux de TVA (EUR)", bold=True)
    pdf.set_fill_color(230, 230, 240)
    _row(pdf, ("", "", "Taux de TVA", "Factures", "Base HT", "TVA", "TTC"), bold=True, fill=True)
    for row in by_rate:
        _row(
            pdf,
            (
                "",
                "",
                f"TVA {formats.percent(row.rate)}",
                formats.integer(row.invoices),
                formats.amount(row.ht),
                formats.amount(row.tva),
                formats.amount(row.ttc),
            ),
        )
    _row(
        pdf,
        (
            "",
            "",
            "Total",
            formats.integer(total.invoices),
            formats.amount(total.ht),
            formats.amount(total.tva),
            formats.amount(total.ttc),
        ),
        bold=True,
    )
    pdf.ln(4)

    pdf.line_text("Factures de la période (EUR)", bold=True)
    _row(pdf, _HEADERS, bold=True, fill=True)
    shown = 0
    invoices = figures.fiscal_rows(supplier, start=start, end=end)
    for invoice in invoices[: PDF_MAX_INVOICES + 1].iterator(chunk_size=500):
        if shown == PDF_MAX_INVOICES:
            pdf.ln(2)
            pdf.line_text(
                f"La liste s'arrête aux {formats.integer(PDF_MAX_INVOICES)} premières factures ; les totaux "
                "ci-dessus portent sur toute la période. Le fichier CSV contient toutes les factures.",
                size=8,
                height=4,
            )
            break
        shown += 1
        sign = figures.sign(invoice)
        number = ("Avoir " if sign < 0 else "") + (invoice.number or "")
        for vat in invoice.vat_lines.all():
            _row(
                pdf,
                (
                    f"{invoice.invoice_date:%d/%m/%Y}",
                    number,
                    invoice.recipient.name if invoice.recipient else "—",
                    formats.percent(vat.rate),
                    formats.amount(sign * vat.base_ht),
                    formats.amount(sign * vat.vat_amount),
                    formats.amount(sign * (vat.base_ht + vat.vat_amount)),
                ),
            )
    if not shown:
        pdf.line_text("Aucune facture sur cette période.", size=9)
    return bytes(pdf.output())
