"""Delete old drafts with their files (docs/operator-commands.md).

    manage.py purge_drafts --older-than JOURS [--dry-run] [--batch-size 500]

Only drafts (BROUILLON) not modified for JOURS days are deleted; a sent invoice is never touched:
each batch re-reads its rows under a lock with the same conditions, so a draft sent meanwhile is
kept. The PDF and attachments are removed from the storage once the batch is committed (a
rollback leaves the files of the drafts it kept). A draft with history lines is kept (the history
is append-only).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from invoices.management import selection
from invoices.models import Invoice, InvoiceAttachment, InvoiceEvent
from invoices.services import delete_files
from invoices.workflow import Status


class Command(BaseCommand):
    help = (
        "Supprime les brouillons de facture non modifiés depuis --older-than jours, avec leurs fichiers ; "
        "les factures envoyées ne sont jamais touchées."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default=None,
            help="Âge minimal en jours depuis la dernière modification (obligatoire, ≥ 1).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Compte sans rien supprimer.")
        parser.add_argument("--batch-size", default="500", help="Brouillons par lot (défaut 500).")

    def handle(self, *args, **options):
        if options["older_than"] is None:
            raise CommandError("--older-than est obligatoire : l'âge minimal des brouillons, en jours (ex. 180).")
        days = selection.positive_int(options["older_than"], "--older-than", maximum=36500)
        batch_size = selection.positive_int(options["batch_size"], "--batch-size", maximum=10000)
        cutoff = timezone.now() - timedelta(days=days)
        drafts = Invoice.objects.filter(status=Status.BROUILLON, updated_at__lt=cutoff).exclude(
            Exists(InvoiceEvent.objects.filter(invoice=OuterRef("pk")))
        )

        if options["dry_run"]:
            count = drafts.count()
            self.stdout.write(
                f"{count} brouillons non modifiés depuis {days} jours seraient supprimés (simulation : rien n'a été "
                "supprimé)."
            )
            return

        deleted, files, last_pk = 0, 0, 0
        pdf_storage = Invoice._meta.get_field("pdf").storage
        attachment_storage = InvoiceAttachment._meta.get_field("file").storage
        while True:
            ids = list(drafts.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            last_pk = ids[-1]
            with transaction.atomic():
                # The same conditions again, under a lock: a draft sent since the read is kept.
                locked = list(drafts.filter(pk__in=ids).select_for_update(skip_locked=True).values_list("pk", "pdf"))
                pks = [pk for pk, _pdf in locked]
                pdfs = [name for _pk, name in locked if name]
                attachments = list(InvoiceAttachment.objects.filter(invoice_id__in=pks).values_list("file", flat=True))
                Invoice.objects.filter(pk__in=pks, status=Status.BROUILLON).delete()
                transaction.on_commit(lambda p=pdfs: delete_files(pdf_storage, p))
                transaction.on_commit(lambda a=attachments: delete_files(attachment_storage, a))
            deleted += len(pks)
            files += len(pdfs) + len(attachments)
            self.stdout.write(f"… {deleted} brouillons supprimés")
        self.stdout.write(
            self.style.SUCCESS(
                f"{deleted} brouillons non modifiés depuis {days} jours supprimés ({files} fichiers retirés du stockage)."
            )
        )
