"""Counts and amounts of sent invoices, per status and per recipient (docs/operator-commands.md).

    manage.py invoice_stats [--status …] [--recipient …] [--supplier …] [--sent-after …]
        [--sent-before …] [--top 20]

Aggregate queries only (``GROUP BY`` in the database, three queries whatever the volume): the
recipients' names are read for the ``--top`` lines shown, not joined into the grouping.
"""

from django.core.management.base import BaseCommand
from django.db.models import Count, Sum

from chorus import formats
from invoices import workflow
from invoices.management import selection
from structures.models import Structure


class Command(BaseCommand):
    help = (
        "Affiche le nombre de factures envoyées et la somme de leurs montants TTC par statut et par "
        "destinataire (les plus nombreux d'abord), avec les mêmes filtres que export_invoices."
    )

    def add_arguments(self, parser):
        selection.add_filter_arguments(parser)
        parser.add_argument("--top", default="20", help="Destinataires affichés (les plus nombreux ; défaut 20).")

    def handle(self, *args, **options):
        top = selection.positive_int(options["top"], "--top", maximum=100_000)
        invoices = selection.filtered_invoices(options).order_by()

        by_status = {
            row["status"]: row for row in invoices.values("status").annotate(count=Count("pk"), ttc=Sum("amount_ttc"))
        }
        rows, total_count, total_ttc = [], 0, 0
        for status in workflow.Status:  # lifecycle order
            row = by_status.get(status.value)
            if row is None:
                continue
            total_count += row["count"]
            total_ttc += row["ttc"] or 0
            rows.append(
                [
                    workflow.status_label(status),
                    workflow.reform_code(status) or "—",
                    formats.integer(row["count"]),
                    formats.amount(row["ttc"] or 0),
                ]
            )
        if not rows:
            self.stdout.write("Aucune facture ne correspond aux filtres.")
            return
        rows.append(["Total", "", formats.integer(total_count), formats.amount(total_ttc)])
        self.stdout.write("Factures par statut")
        for line in selection.table(["Statut", "Code", "Nombre", "Montant TTC (€)"], rows, right={2, 3}):
            self.stdout.write(line)

        by_recipient = list(
            invoices.values("recipient_id")
            .annotate(count=Count("pk"), ttc=Sum("amount_ttc"))
            .order_by("-count", "recipient_id")[:top]
        )
        names = dict(
            (pk, (identifier, name))
            for pk, identifier, name in Structure.objects.filter(
                pk__in=[row["recipient_id"] for row in by_recipient if row["recipient_id"]]
            ).values_list("pk", "identifier", "name")
        )
        recipients_total = invoices.values("recipient_id").distinct().count()
        rows = []
        for row in by_recipient:
            identifier, name = names.get(row["recipient_id"], ("—", "(sans destinataire)"))
            rows.append([identifier, name, formats.integer(row["count"]), formats.amount(row["ttc"] or 0)])
        self.stdout.write("")
        shown = f" ({len(rows)} premiers sur {recipients_total}, par nombre)" if recipients_total > len(rows) else ""
        self.stdout.write(f"Factures par destinataire{shown}")
        for line in selection.table(["SIRET", "Destinataire", "Nombre", "Montant TTC (€)"], rows, right={2, 3}):
            self.stdout.write(line)
