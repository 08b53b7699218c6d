"""Seed the motifs catalogue of the Ministry's supplier kit (reference §6) and date the status of
invoices sent before the lifecycle existed (``status_changed_at`` = ``sent_at``)."""

from django.db import migrations
from django.db.models import F

TECHNIQUE, ACHATS, AUTRES = "TECHNIQUE", "ACHATS_COMPTABLES", "AUTRES"

# (code, label, category, reform code, recyclable)
MOTIFS = [
    ("SE_EJ_INCORRECT", "SE/EJ incorrect", TECHNIQUE, "CODE_ROUTAGE_ERR", True),
    ("CREANCIER_INCONNU", "Créancier inconnu ou différent de celui de l'EJ", TECHNIQUE, "EMMET_INC", False),
    ("MARCHE_TERMINE", "Marché terminé", ACHATS, "CONTRAT_TERM", False),
    ("SOUS_TRAITANT_NON_DECLARE", "Sous-traitant / cotraitant non déclaré", ACHATS, "AUTRE", False),
    ("COMPENSATION_AVOIRS", "Suppression pour compensation d'avoirs", ACHATS, "AUTRE", False),
    ("JUSTIFICATIF_ABSENT", "Justificatif absent ou insuffisant", ACHATS, "JUSTIF_ABS", False),
    ("MONTANT_ERRONE", "Montant de la facture erroné", ACHATS, "MONTANTTOTAL_ERR", False),
    ("TAUX_TVA_ERRONE", "Taux de TVA erroné", ACHATS, "TX_TVA_ERR", False),
    ("RETRAITEMENT_MANUEL", "Retraitement manuel par les services", ACHATS, "AUTRE", False),
    ("PAIEMENT_REGIE", "Paiement en régie", ACHATS, "AUTRE", False),
    ("ERREUR_RIB", "Erreur de RIB", ACHATS, "COORD_BANC_ERR", False),
    ("LIVRAISON_INCOMPLETE", "Livraison incomplète / non effectuée", ACHATS, "LIVR_INCOMP", False),
    ("NON_CONFORME_COMMANDE", "Facture non conforme à la commande", ACHATS, "CMD_ERR", False),
    ("DOUBLE_FACTURATION", "Double facturation", ACHATS, "DOUBLON", False),
    ("CONTACTER_ACHETEUR", "Contacter votre acheteur", AUTRES, "AUTRE", False),
    ("SUPPRESSION_MASSE", "Suppression en masse", AUTRES, "AUTRE", False),
]


def seed(apps, schema_editor):
    Motif = apps.get_model("invoices", "Motif")
    for position, (code, label, category, reform, recyclable) in enumerate(MOTIFS, start=1):
        Motif.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "category": category,
                "reform_code": reform,
                "recyclable": recyclable,
                "position": position * 10,
                "is_active": True,
            },
        )
    Invoice = apps.get_model("invoices", "Invoice")
    Invoice.objects.filter(status_changed_at__isnull=True, sent_at__isnull=False).update(status_changed_at=F("sent_at"))


def unseed(apps, schema_editor):
    Motif = apps.get_model("invoices", "Motif")
    Motif.objects.filter(code__in=[m[0] for m in MOTIFS], events__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("invoices", "0002_lifecycle")]

    operations = [migrations.RunPython(seed, unseed)]
