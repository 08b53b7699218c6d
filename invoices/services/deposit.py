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
    if info.facturx_xml:
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
    else:
        found = extraction.parse_text(info.text)

    invoice = Invoice(
        supplier=supplier,
        created_by=user,
        deposit_mode=DepositMode.SIGNED_PDF if signed else DepositMode.PDF,
        cadre=found.cadre or cadre,
        status=Status.BROUILLON,
        pdf_original_filename=clean_filename(getattr(file, "name", "")),
        pdf_size=len(data),
        bank_account=single_bank_account(supplier),
    )
    _apply_extracted(invoice, found, supplier)
    invoice.pdf.save("facture.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            invoice.save()
            InvoiceVatLine.objects.bulk_create(
                vat_line_rows(invoice, [line for line in found.vat_lines if line.base_ht >= 0 and line.vat_amount >= 0])
            )
    except Exception:
        invoice.pdf.storage.delete(invoice.pdf.name)  # files are not transactional
        raise
    return invoice


def _apply_extracted(invoice: Invoice, found: extraction.Extracted, supplier: Structure) -> None:
    invoice.number = found.number[:MAX_NUMBER_LENGTH]
    invoice.invoice_date = found.invoice_date
    invoice.invoice_year = found.invoice_date.year if found.invoice_date else None
    invoice.invoice_type = found.invoice_type or InvoiceType.INVOICE
    invoice.engagement_number = found.engagement_number[:MAX_ENGAGEMENT_LENGTH]
    invoice.market_number = found.market_number[:50]
    invoice.original_invoice_number = found.original_invoice_number[:MAX_NUMBER_LENGTH]
    invoice.payment_mode = "" if invoice.invoice_type == InvoiceType.CREDIT_NOTE else found.payment_mode
    for name in AMOUNT_FIELDS:
        value = getattr(found, name)
        setattr(invoice, name, value if value is not None and value >= 0 else None)

    recipient = None
    if found.recipient_siret:
        recipient = selectors.public_recipient(found.recipient_siret)
    else:
        for siret in found.sirets:
            if siret != supplier.identifier:
                recipient = selectors.public_recipient(siret)
                if recipient:
                    break
    invoice.recipient = recipient
    if recipient and found.service_code:
        invoice.recipient_service = Service.objects.filter(structure=recipient, code__iexact=found.service_code).first()
    invoice.extracted_data = {
        **found.as_json(),
        "recipient_found": recipient is not None,
        "service_found": invoice.recipient_service_id is not None,
    }
