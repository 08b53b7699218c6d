"""Export sent invoices as CSV for Excel (docs/operator-commands.md).

    manage.py export_invoices [--output FICHIER|-] [--status …] [--recipient …] [--supplier …]
        [--sent-after …] [--sent-before …] [--ids …]

Format: ``;`` separator, UTF-8 with a BOM (Excel then reads the accents), one header row with
French column names, amounts as ``1234,56`` (comma, no thousands separator: a number for French
Excel), dates ``JJ/MM/AAAA``, the deposit time ``JJ/MM/AAAA HH:MM:SS`` in Paris time. A text cell
that starts with ``= + - @`` gets a leading apostrophe, so a supplier-typed value is never run as an
Excel formula. Rows are streamed (``values_list`` + ``iterator``, ordered by id): memory stays
constant whatever the number of invoices. Drafts are never exported.
"""

import csv
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from invoices import workflow
from invoices.management import selection
from invoices.models import InvoiceType

HEADER = [
    "Identifiant",
    "Numéro",
    "Date",
    "Type",
    "Cadre",
    "SIRET fournisseur",
    "Fournisseur",
    "SIRET destinataire",
    "Destinataire",
    "Code service",
    "EJ",
    "Montant HT",
    "Montant TVA",
    "Montant TTC",
    "Statut",
    "Code cycle de vie",
    "Déposée le",
]
COLUMNS = [
    "identifier",
    "number",
    "invoice_date",
    "invoice_type",
    "cadre",
    "supplier__identifier",
    "supplier__name",
    "recipient__identifier",
    "recipient__name",
    "recipient_service__code",
    "engagement_number",
    "amount_ht",
    "amount_tva",
    "amount_ttc",
    "status",
    "sent_at",
]
CHUNK_SIZE = 2000
PROGRESS_EVERY = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TYPES = dict(InvoiceType.choices)


def _text(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(values) -> list[str]:
    (
        identifier,
        number,
        invoice_date,
        invoice_type,
        cadre,
        supplier_id,
        supplier,
        recipient_id,
        recipient,
        service,
        engagement,
        ht,
        tva,
        ttc,
        status,
        sent_at,
    ) = values
    return [
        _text(identifier),
        _text(number),
        invoice_date.strftime("%d/%m/%Y") if invoice_date else "",
        str(_TYPES.get(invoice_type, invoice_type)),
        cadre,
        _text(supplier_id),
        _text(supplier),
        _text(recipient_id),
        _text(recipient),
        _text(service),
        _text(engagement),
        selection.amount_csv(ht),
        selection.amount_csv(tva),
        selection.amount_csv(ttc),
        workflow.status_label(status),
        workflow.reform_code(status),
        timezone.localtime(sent_at).strftime("%d/%m/%Y %H:%M:%S") if sent_at else "",
    ]


class _Raw:
    """Write through a command's OutputWrapper without its added line endings."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = (
        "Exporte les factures envoyées en CSV pour Excel (séparateur « ; », UTF-8 avec BOM, montants "
        "« 1234,56 »), filtrées par statut, destinataire, fournisseur ou dates d'envoi."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default="-", help="Fichier à écrire ; « - » (défaut) pour la sortie standard.")
        selection.add_filter_arguments(parser)

    def handle(self, *args, **options):
        invoices = selection.filtered_invoices(options)
        rows = invoices.order_by("pk").values_list(*COLUMNS).iterator(chunk_size=CHUNK_SIZE)
        output = options["output"].strip() or "-"
        if output == "-":
            # Progress and the summary go to stderr: stdout is the CSV.
            try:
                count = self._write(_Raw(self.stdout), rows, progress=self.stderr)
            except BrokenPipeError:  # the reader stopped (`| head`): not an error
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
            self.stderr.write(f"{count} factures exportées.")
            return
        try:
            handle = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"--output : impossible d'écrire « {output} » ({exc.strerror}).") from None
        with handle:
            count = self._write(handle, rows, progress=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"{count} factures exportées dans {output}."))

    @staticmethod
    def _write(handle, rows, *, progress) -> int:
        handle.write("\ufeff")
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        count = 0
        for values in rows:
            writer.writerow(csv_row(values))
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress.write(f"… {count} factures exportées")
        handle.flush()
        return count
