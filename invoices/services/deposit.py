"""Deposit of an invoice file: the file's checks (PDF, Factur-X, CII or UBL XML) and the draft
pre-filled with what it gives. A structured invoice (Factur-X, CII, UBL) binds its data
(``invoices.binding``); an XML file gets a readable PDF made by the portal from its data, and the
XML is stored as the invoice's source (``Invoice.source_xml``)."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from invoices import extraction, pdf, rendering, selectors, structured, validation
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    Cadre,
    DepositMode,
    Invoice,
    InvoiceType,
    InvoiceVatLine,
    SourceSyntax,
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
    xml_file = is_xml_upload(file)
    if xml_file:
        xml, found = read_invoice_xml(file, supplier=supplier)
    else:
        data, found = read_invoice_pdf(file, supplier=supplier, signed=signed)
    filename = clean_filename(getattr(file, "name", ""))

    invoice = Invoice(
        supplier=supplier,
        created_by=user,
        deposit_mode=DepositMode.XML if xml_file else DepositMode.SIGNED_PDF if signed else DepositMode.PDF,
        cadre=cadre,
        status=Status.BROUILLON,
        bank_account=single_bank_account(supplier),
    )
    prefill_from_file(invoice, found)
    if xml_file:
        # The recipient reads a PDF made from the XML's data; the XML is the invoice's source.
        data = rendering.render_structured_pdf(found, supplier=supplier)
        invoice.pdf_original_filename = clean_filename(f"{filename.rsplit('.', 1)[0]}.pdf")
        invoice.source_xml.save("facture.xml", ContentFile(xml), save=False)
    else:
        invoice.pdf_original_filename = filename
        if found.syntax:
            invoice.source_xml.save("facture.xml", ContentFile(found.raw_xml), save=False)
    invoice.pdf_size = len(data)
    invoice.pdf.save("facture.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            invoice.save()
            InvoiceVatLine.objects.bulk_create(vat_line_rows(invoice, file_vat_lines(found)))
    except Exception:
        for stored in (invoice.pdf, invoice.source_xml):  # files are not transactional
            if stored:
                stored.storage.delete(stored.name)
        raise
    return invoice


def is_xml_upload(file) -> bool:
    """An uploaded file that is XML (not a PDF): its first bytes, after a BOM and blanks, are "<"."""
    file.seek(0)
    head = file.read(64)
    file.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def read_invoice_xml(file, *, supplier: Structure) -> tuple[bytes, extraction.Extracted]:
    """The checks of a deposited XML file (UBL 2.1 Invoice or CreditNote, UN/CEFACT CII): within
    the size limit, a structured invoice the portal reads (``structured.parse_structured``),
    issued by ``supplier``. A refused file is ``ValidationError({"file": [...]})``."""
    try:
        xml = pdf.read_upload(file, limit=settings.INVOICE_MAX_PDF_SIZE)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    try:
        found = structured.parse_structured(xml, container="xml")
    except extraction.ExtractionError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    found.raw_xml = xml
    check_seller(found, supplier)
    check_standard(xml, container="xml", found=found)
    return xml, found


def check_standard(xml: bytes, *, container: str, found: extraction.Extracted) -> validation.Report:
    """The XSD and EN 16931 schematron checks of a structured invoice the portal's own rules
    accepted (``found``, what they read of it: the XML is not read again): an error of either (the
    schematron's fatal assertions; its warnings are not) refuses the file, as does a check that
    could not run (``InvoiceNotValid``, explained in French)."""
    report, _found = validation.check_xml(xml, container=container, found=found)
    if report.failure or report.errors:
        raise validation.InvoiceNotValid(report)
    return report


def check_seller(found: extraction.Extracted, supplier: Structure) -> None:
    """The seller of a structured invoice (BG-4) must be ``supplier``: by its SIRET, or else its
    SIREN (BT-30 or the French VAT number BT-31), or else an identifier equal to the structure's
    identifier or VAT number. Messages name each identifier by its kind (SIRET, SIREN, TVA…)."""
    own = {supplier.identifier.upper(), (supplier.vat_number or "").replace(" ", "").upper()} - {""}
    if found.supplier_siret:
        matches = found.supplier_siret == supplier.identifier
    elif found.supplier_siren:
        matches = (
            supplier.identifier[:9] == found.supplier_siren
            or structured.siren_of_vat(supplier.vat_number) == found.supplier_siren
        )
    else:
        matches = bool(own & {value.replace(" ", "").upper() for value, _scheme in found.supplier_ids})
    if matches:
        return
    own_label = f"{supplier.get_identifier_type_display()} {supplier.identifier}"
    if not found.supplier_identifiers:
        message = _(
            "Le XML ne donne aucun identifiant du vendeur (SIRET en BT-30 ou numéro de TVA en BT-31) : le "
            "portail ne peut pas vérifier qu'il est émis par votre structure %(name)s (%(own)s)."
        ) % {"name": supplier.name, "own": own_label}
    else:
        message = _(
            "Cette facture est émise par %(found)s (vendeur « %(seller)s »), et non par votre structure "
            "%(name)s (%(own)s) : vérifiez le fichier ou la structure choisie."
        ) % {
            "found": ", ".join(found.supplier_identifiers),
            "seller": found.seller_name or "—",
            "name": supplier.name,
            "own": own_label,
        }
    raise ValidationError({"file": [message]})


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
    xml, broken = structured.pick_embedded_xml(info.embedded_xml)
    if broken:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Ce PDF contient un fichier %(names)s que le portail ne peut pas lire (XML mal formé, ou qui "
                        "n'est pas une facture CII ou UBL). Corrigez-le dans votre logiciel de facturation, ou "
                        "déposez un PDF sans XML intégré."
                    )
                    % {"names": " / ".join(name for name, _content in info.embedded_xml)}
                ]
            }
        )
    if not xml:
        return data, extraction.parse_text(info.text)
    try:
        found = structured.parse_structured(xml, container="facturx")
    except extraction.ExtractionError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    found.raw_xml = xml
    check_seller(found, supplier)
    check_standard(xml, container="facturx", found=found)
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
    if found.syntax:
        # A structured invoice: its XML's data, nothing of what the draft held before.
        invoice.source_syntax = SourceSyntax.FACTURX if found.source == "facturx" else SourceSyntax(found.syntax)
        invoice.type_code = found.type_code
        invoice.extracted_data = {k: v for k, v in invoice.extracted_data.items() if k == "copied_from"}
        if found.recipient_siret:
            invoice.recipient = None  # the XML's buyer, or none if the directory does not know it
        if found.service_code:
            invoice.recipient_service = None
    else:
        invoice.source_syntax = invoice.type_code = ""
        if invoice.source_xml:
            invoice.source_xml = None  # the previous file's XML no longer applies
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
        if value is not None and (value >= 0 or found.syntax):
            setattr(invoice, name, value)  # signed as invoiced for a structured invoice (a 384)

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
    """The VAT breakdown the file gives: every line of a structured invoice as invoiced (its
    signs were checked against its type); of a text PDF, its non-negative lines."""
    if found.syntax:
        return list(found.vat_lines)
    return [line for line in found.vat_lines if line.base_ht >= 0 and line.vat_amount >= 0]
