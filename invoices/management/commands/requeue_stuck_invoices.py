"""Re-enqueue the routing of invoices stuck in DEPOSEE / EN_COURS_ACHEMINEMENT
(docs/operator-commands.md).

    manage.py requeue_stuck_invoices [--older-than MINUTES] [--dry-run]

The same work as the periodic task ``invoices.sweep_stuck_invoices``, on demand (after a broker
outage, for instance): ``invoices_requeue_stuck`` enqueues ``invoices.route_invoice`` for each
invoice in those statuses for more than MINUTES, at most ``INVOICE_SWEEP_BATCH`` a run. Routing is
idempotent: an invoice whose task was only late is not harmed.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from invoices.management import selection
from invoices.services import invoices_requeue_stuck


class Command(BaseCommand):
    help = (
        "Remet en file d'acheminement les factures bloquées au statut Déposée ou En cours d'acheminement "
        "depuis plus de --older-than minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default=str(settings.INVOICE_SWEEP_AFTER_MINUTES),
            help=f"Minutes passées dans ce statut (défaut {settings.INVOICE_SWEEP_AFTER_MINUTES}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Liste les factures sans rien mettre en file.")

    def handle(self, *args, **options):
        minutes = selection.positive_int(options["older_than"], "--older-than", maximum=10 * 365 * 24 * 60)
        dry_run = options["dry_run"]
        ids = invoices_requeue_stuck(older_than_minutes=minutes, dry_run=dry_run)
        if not ids:
            self.stdout.write(f"Aucune facture bloquée depuis plus de {minutes} minutes.")
            return
        if dry_run:
            self.stdout.write(
                f"{len(ids)} factures bloquées depuis plus de {minutes} minutes seraient remises en file "
                "(simulation : rien n'a été mis en file)."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{len(ids)} factures remises en file d'acheminement."))
        self.stdout.write(f"Identifiants internes : {selection.ids_preview(ids)}")
        if len(ids) >= settings.INVOICE_SWEEP_BATCH:
            self.stdout.write(
                f"Limite de {settings.INVOICE_SWEEP_BATCH} factures par passage atteinte : relancez la commande "
                "pour les suivantes."
            )
