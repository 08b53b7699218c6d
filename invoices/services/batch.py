"""Batch deposit of a zip of invoice files: the archive checked and stored on upload, each file then
deposited by a worker through the single deposit's services, resumably.

- ``deposit_batch_create`` (the upload): checks the archive as a whole (a zip within the portal's
  upload limit, at most ``INVOICE_BATCH_MAX_FILES`` invoice files, a declared uncompressed size
  within ``INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE``), stores it, writes one ``DepositBatchItem`` per
  file (hidden files and ``__MACOSX`` listed as ignored) and enqueues the processing on commit.
- ``deposit_batch_process`` (the task): each pending file, in the archive's order, in its own
  transaction: the file's checks (``invoices.archives``: path, type, size, encryption, real
  uncompressed size), then ``invoice_deposit`` (the single deposit) and, for a structured invoice,
  ``invoice_send`` ("Valider et envoyer"). A PDF without XML stays a draft to complete, as after a
  single deposit; a structured invoice is sent, or stays a draft with the reasons when something
  the XML does not carry must be chosen on the form (code service, EJ, bank details…); a file whose
  XML itself is at fault (a duplicate number, wrong amounts, an unknown buyer…) is refused and
  leaves nothing. The item's outcome and the batch's counts are committed with the invoice, so a
  worker killed mid-batch leaves each file either done (with its invoice) or pending; the next run
  (a redelivery, or ``deposit_batches_requeue`` from the beat sweeper) goes on with the pending
  ones and never deposits a file twice. A file another worker holds is skipped (``skip_locked``).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus import formats
from chorus.queue import enqueue, enqueue_on_commit
from invoices import archives, binding
from invoices.models import BatchItemState, Cadre, DepositBatch, DepositBatchItem, DepositBatchState, Invoice
from invoices.services._common import check_member, clean_filename, delete_files
from invoices.services.deposit import invoice_deposit
from invoices.services.sending import invoice_send
from structures.models import Structure, StructureKind

logger = logging.getLogger(__name__)

PROCESS_TASK = "invoices.process_deposit_batch"
State = BatchItemState

# Fields of a structured draft that the form lets the supplier choose when the XML does not carry
# them: a sending refused only on these leaves the draft to complete.
CHOOSABLE_FIELDS = {
    "recipient",
    "recipient_service",
    "engagement_number",
    "market_number",
    "original_invoice_number",
    "payment_mode",
    "bank_account",
    "supplier_service",
}
COUNTERS = {State.SENT: "sent_count", State.DRAFT: "draft_count", State.REFUSED: "refused_count"}


def deposit_batch_create(*, supplier: Structure, user, file, cadre: str = Cadre.A1) -> DepositBatch:
    """Check an uploaded zip as a whole, store it with one item per file, and hand it to a worker
    once the caller's transaction commits. A refused archive is ``ValidationError({"file": ...})``
    and stores nothing."""
    check_member(user, supplier)
    if supplier.kind != StructureKind.PRIVATE or not supplier.is_active:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Seule une structure fournisseur active peut déposer des factures.")]}
        )
    if cadre not in Cadre.values:
        raise ValidationError({"cadre": [_("Choisissez un cadre de facturation de la liste.")]})
    entries = _checked_entries(file)
    now = timezone.now()
    batch = DepositBatch(
        supplier=supplier,
        created_by=user,
        original_filename=clean_filename(getattr(file, "name", "")),
        size=file.size,
        cadre=cadre,
        total=sum(1 for entry in entries if not entry.ignored),
        ignored_count=sum(1 for entry in entries if entry.ignored),
        created_at=now,
        updated_at=now,
    )
    file.seek(0)
    batch.archive.save("lot.zip", file, save=False)
    try:
        with transaction.atomic():
            batch.save()
            DepositBatchItem.objects.bulk_create(
                [
                    DepositBatchItem(
                        batch=batch,
                        position=entry.position,
                        name=entry.name,
                        size=entry.size,
                        state=State.IGNORED if entry.ignored else State.PENDING,
                        message=entry.ignored,
                        processed_at=now if entry.ignored else None,
                    )
                    for entry in entries
                ],
                batch_size=500,
            )
    except Exception:
        batch.archive.storage.delete(batch.archive.name)  # files are not transactional
        raise
    enqueue_on_commit(PROCESS_TASK, batch.pk)
    return batch


def _checked_entries(file) -> list[archives.Entry]:
    """The archive's file entries, or ``ValidationError({"file": ...})`` for an archive refused
    as a whole (its central directory only is read here)."""
    limit = settings.INVOICE_BATCH_MAX_ZIP_SIZE
    if file.size > limit:
        raise ValidationError(
            {
                "file": [
                    _(
                        "L'archive pèse %(size)s : la taille maximale est de %(limit)s. Déposez-la en plusieurs archives."
                    )
                    % {"size": formats.filesize(file.size), "limit": formats.filesize(limit)}
                ]
            }
        )
    file.seek(0)
    try:
        with archives.open_archive(file) as archive:
            if len(archive.infolist()) > settings.INVOICE_BATCH_MAX_ENTRIES:
                raise archives.ArchiveError(
                    _("L'archive contient %(count)s éléments : %(max)s au plus (fichiers et dossiers).")
                    % {
                        "count": formats.integer(len(archive.infolist())),
                        "max": formats.integer(settings.INVOICE_BATCH_MAX_ENTRIES),
                    }
                )
            entries = archives.list_entries(archive)
    except archives.ArchiveError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    invoices = [entry for entry in entries if not entry.ignored]
    if not invoices:
        raise ValidationError(
            {"file": [_("L'archive ne contient aucun fichier de facture : ajoutez-y vos PDF ou fichiers XML.")]}
        )
    if len(invoices) > settings.INVOICE_BATCH_MAX_FILES:
        raise ValidationError(
            {
                "file": [
                    _(
                        "L'archive contient %(count)s fichiers : %(max)s au plus par dépôt. Déposez-la en plusieurs "
                        "archives."
                    )
                    % {
                        "count": formats.integer(len(invoices)),
                        "max": formats.integer(settings.INVOICE_BATCH_MAX_FILES),
                    }
                ]
            }
        )
    declared = sum(entry.size for entry in invoices)
    if declared > settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Une fois décompressée, l'archive ferait %(size)s : la taille maximale est de %(limit)s. "
                        "Déposez-la en plusieurs archives."
                    )
                    % {
                        "size": formats.filesize(declared),
                        "limit": formats.filesize(settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE),
                    }
                ]
            }
        )
    return entries


@dataclass
class Outcome:
    state: str
    message: str
    invoice: Invoice | None = None
    size: int = 0


def deposit_batch_process(*, batch_id: int) -> dict:
    """Process the pending files of a batch (see the module's docstring); returns the batch's
    counts. Safe to run twice, or at the same time as another run."""
    now = timezone.now()
    started = (
        DepositBatch.objects.filter(pk=batch_id)
        .exclude(state=DepositBatchState.DONE)
        .update(
            state=DepositBatchState.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    batch = DepositBatch.objects.select_related("supplier", "created_by").filter(pk=batch_id).first()
    if batch is None:
        return {"ok": False, "error": "Lot introuvable."}
    if started:
        pending = list(batch.items.filter(state=State.PENDING).order_by("position").values_list("pk", flat=True))
        if pending:
            try:
                stored = batch.archive.open("rb")
            except FileNotFoundError:
                logger.error("Dépôt par lot %s : archive %s introuvable", batch.pk, batch.archive.name)
                _refuse_all(batch, pending, _("L'archive enregistrée est introuvable : déposez-la de nouveau."))
            else:
                with stored, archives.open_archive(stored) as archive:
                    infos = archive.infolist()
                    for pk in pending:
                        _process_item(batch, pk, archive, infos)
        _finish(batch.pk)
        batch.refresh_from_db()
    return {
        "ok": True,
        "state": batch.state,
        "processed": batch.processed_count,
        "total": batch.total,
        "sent": batch.sent_count,
        "drafts": batch.draft_count,
        "refused": batch.refused_count,
    }


def _process_item(batch: DepositBatch, pk: int, archive, infos) -> None:
    """One file: its outcome, the item and the batch's counts in one transaction."""
    with transaction.atomic():
        item = DepositBatchItem.objects.select_for_update(skip_locked=True).filter(pk=pk, state=State.PENDING).first()
        if item is None:
            return  # done meanwhile, or held by another worker
        outcome = _outcome(batch, item, infos[item.position] if item.position < len(infos) else None, archive)
        now = timezone.now()
        item.state, item.message, item.invoice = outcome.state, outcome.message, outcome.invoice
        item.processed_at = now
        item.save(update_fields=["state", "message", "invoice", "processed_at"])
        DepositBatch.objects.filter(pk=batch.pk).update(
            processed_count=F("processed_count") + 1,
            bytes_read=F("bytes_read") + outcome.size,
            updated_at=now,
            **{COUNTERS[outcome.state]: F(COUNTERS[outcome.state]) + 1},
        )
    batch.bytes_read += outcome.size


def _refuse_all(batch: DepositBatch, pending: list[int], message: str) -> None:
    with transaction.atomic():
        count = DepositBatchItem.objects.filter(pk__in=pending, state=State.PENDING).update(
            state=State.REFUSED, message=message, processed_at=timezone.now()
        )
        DepositBatch.objects.filter(pk=batch.pk).update(
            processed_count=F("processed_count") + count,
            refused_count=F("refused_count") + count,
            updated_at=timezone.now(),
        )


def _outcome(batch: DepositBatch, item: DepositBatchItem, info, archive) -> Outcome:
    if info is None:
        return Outcome(State.REFUSED, _("Fichier introuvable dans l'archive."))
    limit = settings.INVOICE_MAX_PDF_SIZE
    problem = archives.entry_problem(info, limit=limit)
    if problem:
        return Outcome(State.REFUSED, problem)
    budget = settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE - batch.bytes_read
    if budget <= 0:
        return Outcome(
            State.REFUSED,
            _("L'archive dépasse %(limit)s une fois décompressée : ce fichier n'est pas lu.")
            % {"limit": formats.filesize(settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE)},
        )
    try:
        data = archives.read_entry(archive, info, limit=min(limit, budget))
    except archives.EntryError as exc:
        return Outcome(State.REFUSED, str(exc), size=min(limit, budget))
    try:
        outcome = _deposit(batch, item, data)
    except (OperationalError, InterfaceError):
        raise  # transient: the item stays pending for the retry
    except Exception:  # a file that breaks a reader must not stop the batch forever
        logger.exception("Dépôt par lot %s : fichier %s (%s) en erreur", batch.pk, item.pk, item.name)
        outcome = Outcome(
            State.REFUSED,
            _("Le portail n'a pas pu lire ce fichier (erreur inattendue, signalée à l'exploitation)."),
        )
    outcome.size = len(data)
    return outcome


def _deposit(batch: DepositBatch, item: DepositBatchItem, data: bytes) -> Outcome:
    """The single deposit of one file, then the sending of a structured invoice; a refusal rolls
    back everything the file wrote (its stored files are deleted after the commit)."""
    user = batch.created_by
    stored: list[str] = []
    filename = item.name.rsplit("/", 1)[-1]
    try:
        with transaction.atomic():
            if user is None:
                raise PermissionDenied(_("Le compte qui a déposé l'archive n'existe plus."))
            invoice = invoice_deposit(
                supplier=batch.supplier, user=user, file=ContentFile(data, name=filename), cadre=batch.cadre
            )
            stored = [f.name for f in (invoice.pdf, invoice.source_xml) if f]
            if not invoice.is_structured:
                return Outcome(State.DRAFT, _draft_message(invoice), invoice)
            try:
                with transaction.atomic():
                    invoice = invoice_send(invoice=invoice, user=user)
            except ValidationError as exc:
                errors = exc.message_dict
                if set(errors) <= choosable_fields(invoice):
                    return Outcome(State.DRAFT, _draft_message(invoice, errors), invoice)
                raise
            return Outcome(
                State.SENT,
                _("Facture n° %(number)s déposée sous l'identifiant %(identifier)s.")
                % {"number": invoice.number, "identifier": invoice.identifier},
                invoice,
            )
    except (ValidationError, PermissionDenied) as exc:
        if stored:
            storage = Invoice._meta.get_field("pdf").storage
            transaction.on_commit(lambda: delete_files(storage, stored))
        return Outcome(State.REFUSED, refusal_message(exc))


def choosable_fields(invoice: Invoice) -> set[str]:
    """The fields of a structured draft its XML does not bind (the form lets the supplier set them)."""
    extracted = invoice.extracted_data
    fields = CHOOSABLE_FIELDS - set(binding.bound_values(extracted))
    if binding.recipient_bound(extracted):
        fields -= {"recipient", "recipient_service"} if binding.service_bound(extracted) else {"recipient"}
    elif binding.service_bound(extracted):
        fields.discard("recipient_service")
    return fields


def _messages(errors: dict[str, list[str]]) -> str:
    return " ".join(message for messages in errors.values() for message in messages)


def _draft_message(invoice: Invoice, errors: dict | None = None) -> str:
    if errors:
        return _("Brouillon n° %(pk)s à compléter avant l'envoi : %(errors)s") % {
            "pk": invoice.pk,
            "errors": _messages(errors),
        }
    found = invoice.extracted_data
    if any(found.get(k) for k in ("number", "invoice_date", "amount_ttc", "sirets")):
        return _(
            "Brouillon n° %(pk)s : des valeurs lues dans le PDF sont proposées ; vérifiez-les, complétez la facture "
            "et envoyez-la."
        ) % {"pk": invoice.pk}
    return _("Brouillon n° %(pk)s : complétez la facture et envoyez-la.") % {"pk": invoice.pk}


def refusal_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return _messages(exc.message_dict) if hasattr(exc, "error_dict") else " ".join(exc.messages)
    return str(exc)


def _finish(batch_id: int) -> None:
    """Mark the batch done once no file is pending (a file held by another run keeps it running)."""
    with transaction.atomic():
        batch = DepositBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.is_done or batch.items.filter(state=State.PENDING).exists():
            return
        batch.state = DepositBatchState.DONE
        batch.finished_at = batch.updated_at = timezone.now()
        # Every file now lives in its own invoice (or was refused): the zip is no longer needed.
        # Its name is forgotten with the commit, the file deleted after it.
        stored, storage = batch.archive.name, batch.archive.storage
        batch.archive = ""
        batch.save(update_fields=["state", "finished_at", "updated_at", "archive"])
        if stored:
            transaction.on_commit(lambda: delete_files(storage, [stored]))
    logger.info("Dépôt par lot %s terminé", batch_id)


def deposit_batches_stuck(*, older_than_minutes: int):
    """Unfinished batches with no activity for ``older_than_minutes`` (task lost, worker killed)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return DepositBatch.objects.exclude(state=DepositBatchState.DONE).filter(updated_at__lte=cutoff)


def deposit_batches_requeue(*, older_than_minutes: int) -> list[int]:
    """Hand the stuck batches to a worker again; return their ids. Processing is idempotent: a
    batch that was only late is not harmed."""
    ids = list(
        deposit_batches_stuck(older_than_minutes=older_than_minutes)
        .order_by("updated_at")
        .values_list("pk", flat=True)[: settings.INVOICE_SWEEP_BATCH]
    )
    for pk in ids:
        enqueue(PROCESS_TASK, pk)
    if ids:
        logger.warning("%s dépôt(s) par lot remis en file : %s", len(ids), ids)
    return ids
