"""Import the Chorus Pro directory of public recipients (annuaire). See docs/import-annuaire.md.

    manage.py import_annuaire annuaire.zip
    manage.py import_annuaire structures.csv services.csv --rejects-file rejets.csv
    manage.py import_annuaire annuaire.zip --dry-run

Accepts the export zip, or the structures and/or services CSV files (recognised by their header
row; structures are always imported before services). Idempotent: re-importing the same files
reports every line unchanged. Exits non-zero when no file could be read or no line was imported.
"""

from structures import importers
from structures.management.base import ImportCommand


class Command(ImportCommand):
    help = "Importe l'annuaire des destinataires publics (archive zip ou fichiers CSV des structures et des services)."
    import_function = staticmethod(importers.import_annuaire)
