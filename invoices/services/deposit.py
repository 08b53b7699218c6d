"""Deposit of a PDF: the file's checks (PDF, Factur-X) and the draft pre-filled with what it gives."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from invoices import extraction, pdf, selectors
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    Cadre,
    DepositMode,
    Invoice,
    InvoiceType,
    InvoiceVatLine,
)
from invoices.services._common import AMOUNT_FIELDS, check_member, clean_filename, single_bank_account, vat_line_rows
from invoices.workflow import Status
from structures.models import Service, Structure, StructureKind


@transaction.atomic
def invoice_deposit(*, supplier: Structure, user, file, signed: bool = False, cadre: str = Cadre.A1) -> Invoice:
    """Check an uploaded PDF and create the draft, pre-filled with what the file gives.

    The draft is created at once so that nothing is lost; the user then checks and completes it.
    A refused file raises ``ValidationError({"file": ...})`` and creates nothing.
    """
    check_member(user, supplier)
    if supplier.kind != StructureKind.PRIVATE or not supplier.is_active:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Seule une structure fournisseur active peut déposer une facture.")]}
        )
    if cadre not in Cadre.values:
        raise ValidationError({"cadre": [_("Choisissez un cadre de facturation de la liste.")]})
    data, found = read_invoice_pdf(file, supplier=supplier, signed=signed)

    invoice = Invoice(
        supplier=supplier,
        created_by=user,
        deposit_mode=DepositMode.SIGNED_PDF if signed else DepositMode.PDF,
        cadre=cadre,
        status=Status.BROUILLON,
        pdf_original_filename=clean_filename(getattr(file, "name", "")),
        pdf_size=len(data),
        bank_account=single_bank_account(supplier),
    )
    prefill_from_file(invoice, found)
    invoice.pdf.save("facture.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            invoice.save()
            InvoiceVatLine.objects.bulk_create(vat_line_rows(invoice, file_vat_lines(found)))
    except Exception:
        invoice.pdf.storage.delete(invoice.pdf.name)  # files are not transactional
        raise
    return invoice


def read_invoice_pdf(file, *, supplier: Structure, signed: bool) -> tuple[bytes, extraction.Extracted]:
    """The checks of a deposited PDF, the same for a new deposit and for the PDF of a draft: a
    real, text, unprotected PDF within the size limit (signed when asked for); if it embeds a
    Factur-X, an XML the portal reads, whose amounts add up, issued by ``supplier``. Returns the
    file's bytes and what it gives (the Factur-X, or else values found in its text); a refused
    file is ``ValidationError({"file": [...]})``."""
    try:
        data = pdf.read_upload(file, limit=settings.INVOICE_MAX_PDF_SIZE)
        info = pdf.check_pdf(data, signed=signed)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    if info.facturx_invalid:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Ce PDF contient un fichier factur-x.xml que le portail ne peut pas lire (XML invalide ou "
                        "qui n'est pas une facture Factur-X). Corrigez-le dans votre logiciel de facturation, ou "
                        "déposez un PDF sans XML intégré."
                    )
                ]
            }
        )
    if not info.facturx_xml:
        return data, extraction.parse_text(info.text)
    try:
        found = extraction.parse_facturx(info.facturx_xml)
    except extraction.ExtractionError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if found.supplier_siret and found.supplier_siret != supplier.identifier:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Ce Factur-X est émis par le SIRET %(found)s, et non par votre structure %(name)s "
                        "(SIRET %(siret)s) : vérifiez le fichier ou la structure choisie."
                    )
                    % {"found": found.supplier_siret, "name": supplier.name, "siret": supplier.identifier}
                ]
            }
        )
    return data, found


def prefill_from_file(invoice: Invoice, found: extraction.Extracted) -> None:
    """The pre-fill rules of a deposited file, on a new draft as on the draft whose PDF is replaced:
    each value the file gives replaces the draft's; a value it does not give (or a negative
    amount) leaves the draft's as it is, which for a new deposit is empty. The recipient is the
    public structure of the file's recipient SIRET, or else the first public recipient among its
    other SIRETs; its code service, when the file names one that recipient has. A credit note has
    no payment mode. What was read is kept in ``extracted_data`` (the form's hints). The VAT
    breakdown is the caller's to store (``file_vat_lines``)."""
    supplier = invoice.supplier
    if found.number:
        invoice.number = found.number[:MAX_NUMBER_LENGTH]
    if found.invoice_date:
        invoice.invoice_date = found.invoice_date
    invoice.invoice_year = invoice.invoice_date.year if invoice.invoice_date else None
    if found.invoice_type:
        invoice.invoice_type = found.invoice_type
    if found.cadre:
        invoice.cadre = found.cadre
    for name, limit in (
        ("engagement_number", MAX_ENGAGEMENT_LENGTH),
        ("market_number", 50),
        ("original_invoice_number", MAX_NUMBER_LENGTH),
    ):
        value = getattr(found, name)
        if value:
            setattr(invoice, name, value[:limit])
    if found.payment_mode:
        invoice.payment_mode = found.payment_mode
    if invoice.invoice_type == InvoiceType.CREDIT_NOTE:
        invoice.payment_mode = ""
    for name in AMOUNT_FIELDS:
        value = getattr(found, name)
        if value is not None and value >= 0:
            setattr(invoice, name, value)

    recipient = None
    if found.recipient_siret:
        recipient = selectors.public_recipient(found.recipient_siret)
    else:
        for siret in found.sirets:
            if siret != supplier.identifier:
                recipient = selectors.public_recipient(siret)
                if recipient:
                    break
    if recipient is not None:
        invoice.recipient = recipient
    service = None
    if invoice.recipient is not None and found.service_code:
        service = Service.objects.filter(structure=invoice.recipient, code__iexact=found.service_code).first()
        if service is not None:
            invoice.recipient_service = service
    if invoice.recipient_service is not None and invoice.recipient_service.structure_id != invoice.recipient_id:
        invoice.recipient_service = None  # the service of the previous recipient no longer applies
    invoice.extracted_data = {
        **invoice.extracted_data,
        **found.as_json(),
        "recipient_found": recipient is not None,
        "service_found": service is not None,
    }


def file_vat_lines(found: extraction.Extracted) -> list[extraction.VatBreakdown]:
    """The VAT breakdown the file gives, its negative lines left out."""
    return [line for line in found.vat_lines if line.base_ht >= 0 and line.vat_amount >= 0]
