"""Give a payment clock to the invoices received before it existed (docs/operator-commands.md).

    manage.py payment_clocks_rebuild [--batch 500]

Replays the history of each received invoice without a clock (the statuses and their dates)
through the same rule as the lifecycle, with its recipient's délai global de paiement. Run once
after migration 0006; safe to run again (an invoice with a clock is never touched; rows being
changed at that moment are skipped, a new run takes them).
"""

from django.core.management.base import BaseCommand, CommandError

from invoices import services

MAX_BATCH = 10_000


class Command(BaseCommand):
    help = "Calcule le délai de paiement des factures reçues avant son introduction, d'après leur historique."

    def add_arguments(self, parser):
        parser.add_argument("--batch", default="500", help="Factures par transaction (défaut 500).")

    def handle(self, *args, **options):
        batch = options["batch"]
        if not str(batch).isdigit() or not 1 <= int(batch) <= MAX_BATCH:
            raise CommandError(f"--batch : un nombre entre 1 et {MAX_BATCH}.")
        updated = services.payment_clocks_rebuild(batch_size=int(batch))
        self.stdout.write(self.style.SUCCESS(f"Délai de paiement calculé pour {updated} facture(s)."))
