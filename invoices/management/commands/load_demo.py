"""Load the demo data used by `make run`: accounts, structures, invoices. Safe to run twice."""

from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo
from invoices import demo as invoices_demo
from invoices import demo_invoices, demo_sollicitations
from structures import demo as structures_demo
from structures import demo_api, importers


def _counts(reports) -> str:
    return (
        f"{sum(r.read for r in reports)} "
        f"(créés : {sum(r.created for r in reports)}, mis à jour : {sum(r.updated for r in reports)}, "
        f"inchangés : {sum(r.unchanged for r in reports)})"
    )


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent)."

    def handle(self, *args, **options):
        users = accounts_demo.load()
        structures = structures_demo.load(users)
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

        annuaire = structures["annuaire"]
        supplier = structures["supplier"]
        self.stdout.write("")
        self.stdout.write("Structures de démonstration")
        self.stdout.write(f"  Annuaire, structures publiques : {_counts(annuaire.for_layout(importers.STRUCTURES))}")
        self.stdout.write(f"  Annuaire, services : {_counts(annuaire.for_layout(importers.SERVICES))}")
        self.stdout.write(f"  Engagements juridiques : {_counts(structures['engagements'].files)}")
        self.stdout.write(
            f"  Fournisseur : {supplier.name} (SIRET {supplier.identifier}), "
            f"gestionnaire principal {users['gestionnaire'].email}, utilisateur {users['utilisateur'].email}"
        )
        self.stdout.write(f"  {users['agent'].email} est rattaché à : {structures['ministry'].name}")
        api = demo_api.load(supplier=supplier, manager=users["gestionnaire"])
        self.stdout.write(
            f"  API : client_id {api['application'].client_id}, client_secret {demo_api.CLIENT_SECRET}, "
            f"cpro-account {api['technical_user'].login}:{demo_api.TECHNICAL_PASSWORD}"
        )

        history = invoices_demo.load_history(users, structures)
        self.stdout.write(
            f"  Factures de démonstration ajoutées (une année, plusieurs statuts, deux en retard) : {history}"
        )

        self.stdout.write("")
        self.stdout.write("Factures à déposer pour essayer (« Factures émises » > « Déposer une facture »)")
        for path in invoices_demo.write_files():
            self.stdout.write(f"  {path}")
        count = demo_invoices.load(supplier=structures["supplier"], user=users["gestionnaire"])
        self.stdout.write("")
        self.stdout.write(
            f"Factures de démonstration de {structures['supplier'].name} : {count} (« Rechercher », « Archives »)"
        )
        sollicitations = demo_sollicitations.load(
            supplier=structures["supplier"],
            manager=users["gestionnaire"],
            user=users["utilisateur"],
            support=users["admin"],
        )
        self.stdout.write(
            f"Sollicitations de démonstration : {sollicitations} (« Sollicitations émises » ; "
            f"le support répond dans l'administration avec {users['admin'].email})"
        )
