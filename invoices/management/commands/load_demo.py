"""Load the demo data used by `make run`: accounts, structures, invoices. Safe to run twice."""

from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent)."

    def handle(self, *args, **options):
        users = accounts_demo.load()
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write("")
        self.stdout.write(f"Comptes de démonstration (mot de passe commun : {accounts_demo.DEMO_PASSWORD})")
        labels = {
            "gestionnaire": "fournisseur, gestionnaire principal",
            "utilisateur": "fournisseur, utilisateur",
            "agent": "service financier (administration)",
            "admin": "super-administrateur",
        }
        for key, user in users.items():
            self.stdout.write(f"  {user.email:<40} {labels[key]}")
