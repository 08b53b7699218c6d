"""Import legal commitments (engagements juridiques, EJ) of public recipients.

    manage.py import_engagements engagements.csv [--dry-run] [--rejects-file rejets.csv]

The file is a CSV separated by ``;``, UTF-8 (BOM accepted), with this header row, in this order
(docs/import-engagements.md):

    NumeroEJ;IdentifiantDestinataire;IdentifiantFournisseur;RaisonSocialeFournisseur;Montant;Statut;DateDebut;DateFin

- NumeroEJ (required, ≤ 50 characters): the EJ number; with the recipient, the key of a line.
- IdentifiantDestinataire (required): identifier (SIRET) of a public structure already imported
  from the directory; an unknown recipient rejects the line.
- IdentifiantFournisseur (required): the supplier's SIRET (14 digits, checked; spaces allowed),
  or a foreign identifier starting with its country code (e.g. an intra-EU VAT number).
- RaisonSocialeFournisseur (optional, ≤ 255 characters).
- Montant (optional): ``1234,56``, ``1234.56`` or ``1 234,56``; at most 2 decimals, not negative.
- Statut (required): ``ACTIF``, ``CLOTURE`` or ``ANNULE`` (any case).
- DateDebut, DateFin (optional): ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``; the end may not precede the start.

Idempotent: a line whose EJ (recipient + number) exists updates it, or counts it unchanged.
"""

from structures import importers
from structures.management.base import ImportCommand


class Command(ImportCommand):
    help = "Importe les engagements juridiques (EJ) des destinataires publics depuis un fichier CSV."
    import_function = staticmethod(importers.import_engagements)
