"""Load the demo recipients (directory and EJ of the demo) on a qualification space."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from structures import demo, importers


class Command(BaseCommand):
    help = "Charge les destinataires de démonstration sur un espace de qualification (CHORUS_QUALIFICATION)."

    def handle(self, *args, **options):
        if not settings.QUALIFICATION:
            raise CommandError(
                "Cette commande ne s'exécute que sur un espace de qualification : "
                "DJANGO_SETTINGS_MODULE=chorus.settings.qualification ou CHORUS_QUALIFICATION=true."
            )
        annuaire = importers.import_annuaire([demo.ANNUAIRE_ZIP])
        demo._check(annuaire, "Annuaire de démonstration")
        engagements = importers.import_engagements([demo.ENGAGEMENTS_CSV])
        demo._check(engagements, "Engagements juridiques de démonstration")
        self.stdout.write(
            self.style.SUCCESS(
                f"Destinataires de démonstration chargés : {annuaire.accepted} lignes d'annuaire, "
                f"{engagements.accepted} engagements juridiques."
            )
        )
