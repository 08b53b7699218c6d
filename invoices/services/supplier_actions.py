"""What the supplier does once an invoice is sent: recycle, complete, acknowledge a rejection, copy
a rejected invoice as a new draft, deposit the PDF of that draft."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices import lifecycle, workflow
from invoices.models import MAX_ENGAGEMENT_LENGTH, DepositMode, Invoice, InvoiceEvent, InvoiceLine, InvoiceVatLine
from invoices.services._common import (
    check_draft,
    check_member,
    clean_filename,
    delete_files,
    lock_for_edit,
    vat_line_rows,
)
from invoices.services.attachments import invoice_add_attachments
from invoices.services.certificate import certificate_fingerprint
from invoices.services.deposit import file_vat_lines, prefill_from_file, read_invoice_pdf
from invoices.services.routing import ROUTING_RELATED, routing_errors
from invoices.workflow import Status
from structures.models import Service, Structure


def _check_supplier_may(invoice: Invoice, transition: str) -> workflow.Transition:
    """The table's word on a supplier action (recycler, completer) for this invoice's status, as a
    ``ValidationError`` the supplier's page shows."""
    try:
        return workflow.check(status=invoice.status, transition=transition, actor=workflow.Actor.SUPPLIER)
    except workflow.TransitionError as exc:
        raise ValidationError({NON_FIELD_ERRORS: [str(exc)]}, code="wrong_status") from None


RECYCLE_FIELDS = ("recipient", "recipient_service", "engagement_number")


@transaction.atomic
def invoice_recycle(
    *,
    invoice: Invoice,
    user,
    recipient: Structure | None,
    recipient_service: Service | None,
    engagement_number: str,
    resend_unchanged: bool = False,
) -> InvoiceEvent:
    """ "Recycler" an invoice À recycler: the supplier may change only the recipient SIRET, the
    code service and the EJ (same number, same files). The directory checks run first (a refusal
    is ``ValidationError`` and changes nothing); then ``recycler`` → EN_COURS_ACHEMINEMENT and the
    routing task is enqueued on commit (it continues from there). The deposit certificate is
    issued again, since the data it covers changed. Nothing changed is refused (``resend_unchanged``
    error), unless the supplier says so (``resend_unchanged=True``: the recipient or the directory was
    corrected meanwhile): a recycled invoice sent back unchanged would come back the same way."""
    locked = lifecycle.lock_invoice(invoice, related=ROUTING_RELATED)
    check_member(user, locked.supplier)
    _check_supplier_may(locked, "recycler")
    engagement_number = (engagement_number or "").strip()
    if len(engagement_number) > MAX_ENGAGEMENT_LENGTH:
        raise ValidationError({"engagement_number": [_("Le numéro d'engagement comporte au plus 50 caractères.")]})
    before = {
        "recipient": locked.recipient.identifier if locked.recipient else "",
        "recipient_service": locked.recipient_service.code if locked.recipient_service else "",
        "engagement_number": locked.engagement_number,
    }
    locked.recipient = recipient
    locked.recipient_service = recipient_service
    locked.engagement_number = engagement_number
    errors, _motif = routing_errors(locked)
    if errors:
        raise ValidationError(errors)
    after = {
        "recipient": recipient.identifier if recipient else "",
        "recipient_service": recipient_service.code if recipient_service else "",
        "engagement_number": engagement_number,
    }
    labels = {
        "recipient": _("SIRET du destinataire"),
        "recipient_service": _("code service"),
        "engagement_number": _("n° d'engagement"),
    }
    changes = [
        _("%(label)s : %(old)s → %(new)s") % {"label": labels[k], "old": before[k] or "—", "new": after[k] or "—"}
        for k in RECYCLE_FIELDS
        if before[k] != after[k]
    ]
    if not changes and not resend_unchanged:
        raise ValidationError(
            {
                "resend_unchanged": [
                    _(
                        "Rien n'a changé : corrigez le SIRET du destinataire, le code service ou le numéro "
                        "d'engagement, ou cochez « Renvoyer sans modification » si le destinataire ou "
                        "l'annuaire a été corrigé depuis."
                    )
                ]
            }
        )
    locked.certificate_issued_at = timezone.now()
    locked.certificate_fingerprint = certificate_fingerprint(locked)
    locked.save(update_fields=[*RECYCLE_FIELDS, "certificate_issued_at", "certificate_fingerprint", "updated_at"])
    event = lifecycle.transition_locked(
        locked,
        transition="recycler",
        actor=workflow.Actor.SUPPLIER,
        user=user,
        comment="\n".join(changes)
        if changes
        else _("Facture renvoyée sans modification, à la demande du fournisseur."),
    )
    return event  # ``invoice_transition`` enqueues the routing task on commit


@transaction.atomic
def invoice_complete(*, invoice: Invoice, user, files: list | None = None, comment: str = "") -> InvoiceEvent:
    """ "Compléter" a suspended invoice: attachments and/or a comment (at least one), then
    ``completer`` → COMPLETEE, back to the recipient. All or nothing."""
    locked = lifecycle.lock_invoice(invoice)
    check_member(user, locked.supplier)
    _check_supplier_may(locked, "completer")
    files = list(files or [])
    comment = (comment or "").strip()
    if not files and not comment:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _("Ajoutez au moins une pièce jointe ou un commentaire pour répondre à la suspension.")
                ]
            },
            code="empty",
        )
    added = invoice_add_attachments(invoice=locked, user=user, files=files, completing=True) if files else []
    text = comment
    if added:
        names = ", ".join(a.original_filename for a in added)
        text = "\n".join(filter(None, [comment, _("Pièces jointes ajoutées : %(names)s") % {"names": names}]))
    return lifecycle.transition_locked(
        locked, transition="completer", actor=workflow.Actor.SUPPLIER, user=user, comment=text
    )


@transaction.atomic
def invoice_acknowledge_rejection(*, invoice: Invoice, user) -> InvoiceEvent | None:
    """ "Traiter le rejet": the supplier acknowledges a rejection (recorded once, in the history;
    the invoice stays REJETEE). Returns None when it was already acknowledged."""
    locked = lifecycle.lock_invoice(invoice)
    check_member(user, locked.supplier)
    if locked.status != workflow.REJECTED:
        raise ValidationError({NON_FIELD_ERRORS: [_("Cette facture n'est pas rejetée.")]}, code="not_rejected")
    if locked.rejection_acknowledged_at is not None:
        return None
    locked.rejection_acknowledged_at = timezone.now()
    locked.save(update_fields=["rejection_acknowledged_at", "updated_at"])
    return lifecycle.record_event(
        invoice=locked,
        actor=workflow.Actor.SUPPLIER,
        user=user,
        comment=_("Rejet traité par le fournisseur."),
    )


@transaction.atomic
def invoice_copy_as_draft(*, invoice: Invoice, user) -> Invoice:
    """A new draft from a rejected invoice: same recipient, service, EJ, marché, amounts, VAT
    breakdown (and lines for a typed invoice), but no number (a new invoice needs a new number),
    no date and, for a deposited PDF, no file: the supplier deposits the corrected PDF."""
    source = Invoice.objects.select_related("supplier").get(pk=invoice.pk)
    check_member(user, source.supplier)
    if source.status != workflow.REJECTED:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Seule une facture rejetée peut servir de modèle à une nouvelle facture.")]}
        )
    bank_account = source.bank_account if source.bank_account and source.bank_account.is_active else None
    copy = Invoice.objects.create(
        supplier=source.supplier,
        supplier_service=source.supplier_service,
        bank_account=bank_account,
        recipient=source.recipient,
        recipient_service=source.recipient_service,
        cadre=source.cadre,
        invoice_type=source.invoice_type,
        type_code=source.type_code,  # a 384's negative amounts stay allowed
        original_invoice_number=source.original_invoice_number,
        market_number=source.market_number,
        engagement_number=source.engagement_number,
        amount_ht=source.amount_ht,
        amount_tva=source.amount_tva,
        amount_ttc=source.amount_ttc,
        payment_mode=source.payment_mode,
        comment=source.comment,
        deposit_mode=source.deposit_mode,
        status=Status.BROUILLON,
        created_by=user,
        extracted_data={"copied_from": source.identifier},
    )
    InvoiceVatLine.objects.bulk_create(
        InvoiceVatLine(
            invoice=copy,
            rate=line.rate,
            base_ht=line.base_ht,
            vat_amount=line.vat_amount,
            exemption_reason=line.exemption_reason,
        )
        for line in source.vat_lines.all()
    )
    if source.is_entry:
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=copy,
                position=line.position,
                designation=line.designation,
                quantity=line.quantity,
                unit=line.unit,
                unit_price_ht=line.unit_price_ht,
                vat_rate=line.vat_rate,
                exemption_reason=line.exemption_reason,
                line_total_ht=line.line_total_ht,
            )
            for line in source.lines.all()
        )
    return copy


@transaction.atomic
def invoice_replace_pdf(*, invoice: Invoice, user, file) -> Invoice:
    """Deposit (or replace) the PDF of a draft of a deposited invoice (used by a draft created from
    a rejected invoice), with the file checks and the pre-fill rules of ``invoice_deposit``: what
    the new file gives replaces the draft's values (its VAT breakdown too, when it gives one),
    the rest of the draft is kept."""
    locked = lock_for_edit(invoice)
    check_draft(locked)
    check_member(user, locked.supplier)
    if locked.is_entry:
        raise ValidationError({"file": [_("Une facture saisie sur le portail n'a pas de PDF à déposer.")]})
    data, found = read_invoice_pdf(file, supplier=locked.supplier, signed=locked.deposit_mode == DepositMode.SIGNED_PDF)
    old = locked.pdf.name if locked.pdf else None
    storage = locked.pdf.storage
    old_xml = locked.source_xml.name if locked.source_xml else None
    prefill_from_file(locked, found)
    vat_lines = file_vat_lines(found)
    if found.syntax:
        locked.source_xml.save("facture.xml", ContentFile(found.raw_xml), save=False)
    locked.pdf.save("facture.pdf", ContentFile(data), save=False)
    locked.pdf_original_filename = clean_filename(getattr(file, "name", ""))
    locked.pdf_size = len(data)
    try:
        with transaction.atomic():
            locked.save()
            if vat_lines or found.syntax:  # a structured file's breakdown is the XML's, always
                locked.vat_lines.all().delete()
                InvoiceVatLine.objects.bulk_create(vat_line_rows(locked, vat_lines))
    except Exception:
        storage.delete(locked.pdf.name)  # files are not transactional
        if found.syntax and locked.source_xml:
            storage.delete(locked.source_xml.name)
        raise
    replaced = [name for name in (old, old_xml) if name and name != (locked.source_xml.name or None)]
    if replaced:
        transaction.on_commit(lambda: delete_files(storage, replaced))
    return locked
