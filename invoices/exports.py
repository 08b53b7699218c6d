"""The CSV export of a search of "Factures émises", for Excel: streamed, whatever its size.

Format (as ``manage.py export_invoices``): UTF-8 with a BOM (Excel then reads the accents), ``;``
separator, one header row of French column names, amounts ``1234,56`` (a comma and no thousands
separator: a number for French Excel), dates ``JJ/MM/AAAA`` and the deposit time in Paris time. A
text cell starting with ``= + - @`` gets a leading apostrophe, so a typed value never runs as an
Excel formula. Rows are read by keyset, ``CHUNK_SIZE`` at a time as plain values (no model
objects, no server-side cursor): memory stays flat and the response streams outside any
transaction.
"""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from invoices import keyset, workflow
from invoices.management.selection import amount_csv
from invoices.models import InvoiceType

CHUNK_SIZE = 2000
ROWS_PER_WRITE = 500
HEADER = [
    "Identifiant",
    "N° de facture",
    "Type",
    "Cadre de facturation",
    "Date de facture",
    "Déposée le",
    "SIRET destinataire",
    "Destinataire",
    "Code service destinataire",
    "N° d'engagement (EJ)",
    "Service fournisseur",
    "Montant HT",
    "Montant TVA",
    "Montant TTC",
    "Statut",
    "Code cycle de vie",
]
VALUES = [
    "id",
    "identifier",
    "number",
    "invoice_type",
    "cadre",
    "invoice_date",
    "sent_at",
    "created_at",
    "recipient__identifier",
    "recipient__name",
    "recipient_service__code",
    "engagement_number",
    "supplier_service__code",
    "amount_ht",
    "amount_tva",
    "amount_ttc",
    "status",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TYPES = {value: str(label) for value, label in InvoiceType.choices}


def _text(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(row: dict, statuses: dict[str, tuple[str, str]]) -> list[str]:
    label, code = statuses[row["status"]]
    return [
        _text(row["identifier"]),
        _text(row["number"]),
        _TYPES.get(row["invoice_type"], row["invoice_type"]),
        row["cadre"],
        row["invoice_date"].strftime("%d/%m/%Y") if row["invoice_date"] else "",
        timezone.localtime(row["sent_at"]).strftime("%d/%m/%Y %H:%M:%S") if row["sent_at"] else "",
        _text(row["recipient__identifier"]),
        _text(row["recipient__name"]),
        _text(row["recipient_service__code"]),
        _text(row["engagement_number"]),
        _text(row["supplier_service__code"]),
        amount_csv(row["amount_ht"]),
        amount_csv(row["amount_tva"]),
        amount_csv(row["amount_ttc"]),
        label,
        code,
    ]


class _Lines:
    """A file-like object for ``csv.writer`` that hands back what is written."""

    def write(self, text: str) -> str:
        return text


def csv_lines(invoices: QuerySet, key: keyset.SortKey, *, descending: bool) -> Iterator[str]:
    """The CSV text, a few hundred rows per piece: the BOM and header first."""
    statuses = {s.value: (workflow.status_label(s), workflow.reform_code(s)) for s in workflow.Status}
    writer = csv.writer(_Lines(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(HEADER)
    rows = keyset.iterate(invoices.values(*VALUES), key, descending=descending, chunk_size=CHUNK_SIZE)
    piece = []
    for row in rows:
        piece.append(writer.writerow(csv_row(row, statuses)))
        if len(piece) >= ROWS_PER_WRITE:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


def streamed_csv(invoices: QuerySet, key: keyset.SortKey, *, descending: bool, filename: str) -> StreamingHttpResponse:
    """The streamed download of ``invoices`` in the page's order."""
    response = StreamingHttpResponse(
        (piece.encode("utf-8") for piece in csv_lines(invoices, key, descending=descending)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
