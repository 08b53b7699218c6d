"""Writes about invoices that matter: deposit of a PDF, manual entry, drafts, attachments and
"Valider et envoyer".

Views (and later the API) call these keyword-only functions, so every check happens once. Errors a
user can fix are ``ValidationError`` with French messages, a dict keyed by the form field at fault
(``file``, ``number``, ``recipient``, ``recipient_service``, ``engagement_number``, ``amount_ttc``,
``vat_lines``, ``lines``, ``attachments``…; ``NON_FIELD_ERRORS`` otherwise). Acting on a structure
one is not an active member of is ``PermissionDenied`` (the views already answer 404 before).

``invoice_send`` locks the invoice row, runs every check of the real portal before writing
anything (a refused sending leaves the draft untouched), then allocates the public identifier,
computes the deposit certificate and moves the invoice to DEPOSEE. What follows a deposit
(routing to the recipient) belongs to the lifecycle: ``_after_send`` is its hook.
"""

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices import extraction, pdf, selectors, totals, workflow
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    VAT_RATES,
    Cadre,
    DepositMode,
    Invoice,
    InvoiceAttachment,
    InvoiceLine,
    InvoiceStatus,
    InvoiceType,
    InvoiceVatLine,
    PaymentMode,
    Sequence,
)
from structures.models import (
    BankAccount,
    EngagementJuridique,
    Membership,
    MembershipStatus,
    Service,
    Structure,
    StructureKind,
)

logger = logging.getLogger(__name__)

# Attachment extensions accepted by the real portal (reference §4).
ATTACHMENT_EXTENSIONS = frozenset(
    "bmp gif fax odt ppt tiff xls bz2 gz jpeg p7s rtf txt xml csv gzip jpg pdf svg xhtml xlsx doc htm odp "
    "png tgz xlc zip docx html ods pps tif xlm pptx".split()
)
# Fields of a draft the supplier edits (amounts only for a deposited PDF: a typed invoice's
# amounts are computed from its lines).
DRAFT_FIELDS = frozenset(
    {
        "cadre",
        "invoice_type",
        "original_invoice_number",
        "number",
        "invoice_date",
        "market_number",
        "engagement_number",
        "payment_mode",
        "comment",
        "supplier_service",
        "bank_account",
        "recipient",
        "recipient_service",
        "amount_ht",
        "amount_tva",
        "amount_ttc",
    }
)
AMOUNT_FIELDS = ("amount_ht", "amount_tva", "amount_ttc")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- Helpers ----------------------------------------------------------------------------------


def _is_member(user, structure: Structure) -> bool:
    return bool(
        user
        and user.is_authenticated
        and Membership.objects.filter(user=user, structure=structure, status=MembershipStatus.ACTIVE).exists()
    )


def _check_member(user, structure: Structure) -> None:
    if not _is_member(user, structure):
        raise PermissionDenied(_("Vous n'êtes pas rattaché à cette structure."))


def _lock(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("supplier", "recipient", "recipient_service", "bank_account", "supplier_service")
        .get(pk=invoice.pk)
    )


def _check_draft(invoice: Invoice) -> None:
    if not invoice.is_draft:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Cette facture a déjà été envoyée : elle n'est plus modifiable.")]},
            code="not_draft",
        )


def clean_filename(name: str) -> str:
    """The name to show for an uploaded file: no folders, no control characters, NFC."""
    name = unicodedata.normalize("NFC", name or "")
    name = os.path.basename(name.replace("\\", "/"))
    name = _CONTROL.sub("", name).strip()
    return name[:500] or "fichier"


def _fr_date(value) -> str:
    return value.strftime("%d/%m/%Y")


# --- Deposit of a PDF -------------------------------------------------------------------------


@transaction.atomic
def invoice_deposit(*, supplier: Structure, user, file, signed: bool = False, cadre: str = Cadre.A1) -> Invoice:
    """Check an uploaded PDF and create the draft, pre-filled with what the file gives.

    The draft is created at once so that nothing is lost; the user then checks and completes it.
    A refused file raises ``ValidationError({"file": ...})`` and creates nothing.
    """
    _check_member(user, supplier)
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
        status=InvoiceStatus.DRAFT,
        pdf_original_filename=clean_filename(getattr(file, "name", "")),
        pdf_size=len(data),
        bank_account=_single_bank_account(supplier),
    )
    _apply_extracted(invoice, found, supplier)
    invoice.pdf.save("facture.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            invoice.save()
            InvoiceVatLine.objects.bulk_create(
                InvoiceVatLine(
                    invoice=invoice,
                    rate=line.rate,
                    base_ht=line.base_ht,
                    vat_amount=line.vat_amount,
                    exemption_reason=line.exemption_reason,
                )
                for line in found.vat_lines
                if line.base_ht >= 0 and line.vat_amount >= 0
            )
    except Exception:
        invoice.pdf.storage.delete(invoice.pdf.name)  # files are not transactional
        raise
    return invoice


def _single_bank_account(supplier: Structure) -> BankAccount | None:
    accounts = list(BankAccount.objects.filter(structure=supplier, is_active=True)[:2])
    return accounts[0] if len(accounts) == 1 else None


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


# --- Manual entry and drafts ------------------------------------------------------------------


@transaction.atomic
def invoice_create(
    *, supplier: Structure, user, lines: list[dict] | None = None, vat_lines: list[dict] | None = None, **fields
) -> Invoice:
    """Create the draft of an invoice typed on the portal (saisie), with whatever is filled in."""
    _check_member(user, supplier)
    if supplier.kind != StructureKind.PRIVATE or not supplier.is_active:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Seule une structure fournisseur active peut saisir une facture.")]}
        )
    if supplier.mandate_accepted_at is None:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("La saisie de factures nécessite d'accepter d'abord le mandat de facturation.")]}
        )
    invoice = Invoice.objects.create(
        supplier=supplier,
        created_by=user,
        deposit_mode=DepositMode.ENTRY,
        status=InvoiceStatus.DRAFT,
        bank_account=_single_bank_account(supplier),
    )
    return invoice_save_draft(invoice=invoice, user=user, lines=lines if lines is not None else [], **fields)


@transaction.atomic
def invoice_save_draft(
    *, invoice: Invoice, user, lines: list[dict] | None = None, vat_lines: list[dict] | None = None, **fields
) -> Invoice:
    """Save a draft as it is, even incomplete ("Enregistrer en mode brouillon").

    Only format and ownership are checked here (a bank account or a service of another structure
    is refused); completeness is the business of ``invoice_send``. ``lines`` (typed invoice)
    replace the lines and recompute the amounts; ``vat_lines`` (deposited PDF) replace the VAT
    breakdown; ``None`` keeps them.
    """
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise TypeError(f"invoice_save_draft: champs non modifiables {sorted(unknown)}")
    invoice = _lock(invoice)
    _check_draft(invoice)
    _check_member(user, invoice.supplier)
    if invoice.is_entry:
        for name in AMOUNT_FIELDS:
            fields.pop(name, None)

    errors: dict[str, list[str]] = defaultdict(list)
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(invoice, name, value)
    if invoice.number and len(invoice.number) > MAX_NUMBER_LENGTH:
        errors["number"].append(_("Le numéro de facture comporte au plus 20 caractères."))
    if len(invoice.engagement_number) > MAX_ENGAGEMENT_LENGTH:
        errors["engagement_number"].append(_("Le numéro d'engagement comporte au plus 50 caractères."))
    if invoice.cadre not in Cadre.values:
        errors["cadre"].append(_("Choisissez un cadre de facturation de la liste."))
    if invoice.invoice_type not in InvoiceType.values:
        errors["invoice_type"].append(_("Choisissez le type : facture ou avoir."))
    if invoice.payment_mode and invoice.payment_mode not in PaymentMode.values:
        errors["payment_mode"].append(_("Choisissez un mode de paiement de la liste."))
    for name in AMOUNT_FIELDS:
        value = getattr(invoice, name)
        if value is not None and value < 0:
            errors[name].append(_("Un montant ne peut pas être négatif."))
    if invoice.supplier_service and invoice.supplier_service.structure_id != invoice.supplier_id:
        errors["supplier_service"].append(_("Ce service n'appartient pas à votre structure."))
    if invoice.bank_account and invoice.bank_account.structure_id != invoice.supplier_id:
        errors["bank_account"].append(_("Ces coordonnées bancaires n'appartiennent pas à votre structure."))
    if invoice.recipient and invoice.recipient.kind != StructureKind.PUBLIC:
        errors["recipient"].append(_("Le destinataire doit être une structure publique de l'annuaire."))
    if invoice.recipient_service and invoice.recipient_service.structure_id != invoice.recipient_id:
        # The recipient changed: the service of the previous one no longer applies.
        invoice.recipient_service = None
    if errors:
        raise ValidationError(dict(errors))
    invoice.invoice_year = invoice.invoice_date.year if invoice.invoice_date else None
    if invoice.invoice_type == InvoiceType.CREDIT_NOTE:
        invoice.payment_mode = ""

    if invoice.is_entry and lines is not None:
        _replace_lines(invoice, lines)
    elif vat_lines is not None:
        _replace_vat_lines(invoice, vat_lines)
    invoice.save()
    return invoice


def _replace_lines(invoice: Invoice, lines: list[dict]) -> None:
    errors = []
    rows = []
    for position, line in enumerate(lines, start=1):
        quantity = Decimal(line["quantity"])
        price = Decimal(line["unit_price_ht"])
        rate = Decimal(line["vat_rate"]).quantize(totals.CENT)
        if quantity <= 0 or price < 0:
            errors.append(
                _("Ligne %(n)s : la quantité doit être positive et le prix unitaire HT ne peut pas être négatif.")
                % {"n": position}
            )
            continue
        if rate not in VAT_RATES:
            errors.append(_("Ligne %(n)s : ce taux de TVA n'est pas en vigueur en France.") % {"n": position})
            continue
        rows.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                designation=(line.get("designation") or "").strip()[:255],
                quantity=quantity,
                unit=(line.get("unit") or "").strip()[:20],
                unit_price_ht=price,
                vat_rate=rate,
                exemption_reason=(line.get("exemption_reason") or "").strip()[:255],
                line_total_ht=totals.line_total(quantity, price),
            )
        )
    if errors:
        raise ValidationError({"lines": errors})
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(rows)
    computed = totals.compute_totals(rows)
    invoice.vat_lines.all().delete()
    InvoiceVatLine.objects.bulk_create(
        InvoiceVatLine(
            invoice=invoice,
            rate=item.rate,
            base_ht=item.base_ht,
            vat_amount=item.vat_amount,
            exemption_reason=item.exemption_reason,
        )
        for item in computed.by_rate
    )
    if rows:
        invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc = computed.ht, computed.tva, computed.ttc
    else:
        invoice.amount_ht = invoice.amount_tva = invoice.amount_ttc = None


def _replace_vat_lines(invoice: Invoice, vat_lines: list[dict]) -> None:
    rows = []
    for line in vat_lines:
        base, amount = Decimal(line["base_ht"]), Decimal(line["vat_amount"])
        if base < 0 or amount < 0:
            raise ValidationError(
                {"vat_lines": [_("Les montants du récapitulatif de TVA ne peuvent pas être négatifs.")]}
            )
        rows.append(
            InvoiceVatLine(
                invoice=invoice,
                rate=Decimal(line["rate"]).quantize(totals.CENT),
                base_ht=totals.to_cents(base),
                vat_amount=totals.to_cents(amount),
                exemption_reason=(line.get("exemption_reason") or "").strip()[:255],
            )
        )
    invoice.vat_lines.all().delete()
    InvoiceVatLine.objects.bulk_create(rows)


@transaction.atomic
def invoice_delete(*, invoice: Invoice, user) -> None:
    """Delete a draft with its files (sent invoices are never deleted)."""
    invoice = _lock(invoice)
    _check_draft(invoice)
    _check_member(user, invoice.supplier)
    names = [invoice.pdf.name] if invoice.pdf else []
    names += [a.file.name for a in invoice.attachments.all()]
    storage = invoice.pdf.storage
    invoice.delete()
    transaction.on_commit(lambda: _delete_files(storage, names))


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Fichier %s non supprimé", name, exc_info=True)


# --- Attachments ------------------------------------------------------------------------------


def attachment_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@transaction.atomic
def invoice_add_attachments(*, invoice: Invoice, user, files: list) -> list[InvoiceAttachment]:
    """Add pièces jointes to a draft: each non-empty, ≤ 10 Mo, an extension of the real portal's
    list; the invoice and all its attachments ≤ 120 Mo. All or nothing."""
    invoice = _lock(invoice)
    _check_draft(invoice)
    _check_member(user, invoice.supplier)
    limit = settings.INVOICE_MAX_ATTACHMENT_SIZE
    errors = []
    total = invoice.pdf_size + sum(invoice.attachments.values_list("size", flat=True))
    for upload in files:
        name = clean_filename(upload.name)
        ext = attachment_extension(name)
        if ext not in ATTACHMENT_EXTENSIONS:
            errors.append(
                _(
                    "« %(name)s » : ce type de fichier n'est pas accepté en pièce jointe. Extensions acceptées : "
                    "%(list)s."
                )
                % {"name": name, "list": ", ".join(sorted(ATTACHMENT_EXTENSIONS))}
            )
        elif not upload.size:
            errors.append(_("« %(name)s » est vide.") % {"name": name})
        elif upload.size > limit:
            errors.append(
                _("« %(name)s » pèse %(size)s : une pièce jointe pèse au plus %(limit)s.")
                % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        total += upload.size or 0
    if total > settings.INVOICE_MAX_TOTAL_SIZE:
        errors.append(
            _("La facture et ses pièces jointes pèseraient %(size)s : le total est limité à %(limit)s.")
            % {"size": filesizeformat(total), "limit": filesizeformat(settings.INVOICE_MAX_TOTAL_SIZE)}
        )
    if errors:
        raise ValidationError({"attachments": errors})
    created = []
    for upload in files:
        name = clean_filename(upload.name)
        attachment = InvoiceAttachment(
            invoice=invoice,
            original_filename=name,
            size=upload.size,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            uploaded_by=user,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        created.append(attachment)
    return created


@transaction.atomic
def invoice_remove_attachment(*, attachment: InvoiceAttachment, user) -> None:
    invoice = _lock(attachment.invoice)
    _check_draft(invoice)
    _check_member(user, invoice.supplier)
    name, storage = attachment.file.name, attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: _delete_files(storage, [name]))


# --- Sending ----------------------------------------------------------------------------------


def send_errors(invoice: Invoice, user) -> dict[str, list[str]]:
    """Every check of "Valider et envoyer", as {field: [French messages]} (empty when sendable)."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        workflow.check(status=invoice.status, transition="deposer", actor=workflow.Actor.SUPPLIER)
    except workflow.TransitionError:
        errors[NON_FIELD_ERRORS].append(_("Cette facture a déjà été envoyée."))
        return dict(errors)
    supplier = invoice.supplier
    if not _is_member(user, supplier):
        errors[NON_FIELD_ERRORS].append(
            _("Vous n'êtes pas (ou plus) rattaché à la structure %(name)s : vous ne pouvez pas envoyer ses factures.")
            % {"name": supplier.name}
        )
    if not supplier.is_active or supplier.kind != StructureKind.PRIVATE:
        errors[NON_FIELD_ERRORS].append(
            _("La structure %(name)s n'est pas un fournisseur actif.") % {"name": supplier.name}
        )
    if invoice.is_entry and supplier.mandate_accepted_at is None:
        errors[NON_FIELD_ERRORS].append(
            _("La saisie de factures nécessite d'accepter d'abord le mandat de facturation de la structure.")
        )

    # References.
    number = invoice.number.strip()
    if not number:
        errors["number"].append(_("Saisissez le numéro de la facture."))
    elif len(number) > MAX_NUMBER_LENGTH:
        errors["number"].append(_("Le numéro de facture comporte au plus 20 caractères."))
    today = timezone.localdate()
    if invoice.invoice_date is None:
        errors["invoice_date"].append(_("Saisissez la date de la facture."))
    elif invoice.invoice_date > today:
        errors["invoice_date"].append(
            _("La date de facture (%(date)s) ne peut pas être dans le futur : nous sommes le %(today)s.")
            % {"date": _fr_date(invoice.invoice_date), "today": _fr_date(today)}
        )
    if number and invoice.invoice_date:
        duplicate = (
            Invoice.objects.filter(supplier=supplier, number=number, invoice_year=invoice.invoice_date.year)
            .exclude(status=InvoiceStatus.DRAFT)
            .exclude(pk=invoice.pk)
            .first()
        )
        if duplicate:
            errors["number"].append(
                _(
                    "Doublon : votre structure a déjà envoyé une facture n° %(number)s datée de %(year)s "
                    "(%(identifier)s). Une nouvelle facture doit porter un nouveau numéro."
                )
                % {"number": number, "year": invoice.invoice_date.year, "identifier": duplicate.identifier}
            )
    if invoice.cadre not in Cadre.values:
        errors["cadre"].append(_("Choisissez un cadre de facturation de la liste."))
    if invoice.invoice_type == InvoiceType.CREDIT_NOTE:
        if invoice.payment_mode:
            errors["payment_mode"].append(_("Un avoir n'a pas de mode de paiement : laissez ce champ vide."))
        if not invoice.original_invoice_number.strip():
            errors["original_invoice_number"].append(
                _("Un avoir fait référence à une facture : indiquez le numéro de la facture d'origine.")
            )

    # Supplier side.
    if invoice.supplier_service and (
        invoice.supplier_service.structure_id != supplier.pk or not invoice.supplier_service.is_active
    ):
        errors["supplier_service"].append(_("Ce service de votre structure n'est plus actif : choisissez-en un autre."))
    if invoice.bank_account and (
        invoice.bank_account.structure_id != supplier.pk or not invoice.bank_account.is_active
    ):
        errors["bank_account"].append(_("Ces coordonnées bancaires ne sont plus actives : choisissez-en d'autres."))
    elif invoice.payment_mode == PaymentMode.TRANSFER and not invoice.bank_account:
        errors["bank_account"].append(_("Pour un paiement par virement, choisissez les coordonnées bancaires."))

    # Recipient, code service and engagement juridique (directory rules, reference §3).
    _recipient_errors(invoice, errors)

    # Amounts.
    _amount_errors(invoice, errors)

    # Files.
    if invoice.is_entry:
        if not invoice.lines.exists():
            errors["lines"].append(_("Ajoutez au moins une ligne à la facture."))
    elif not invoice.pdf:
        errors["pdf"].append(_("Le fichier PDF de la facture est manquant : déposez-le."))
    return dict(errors)


def _recipient_errors(invoice: Invoice, errors) -> None:
    recipient = invoice.recipient
    ej = invoice.engagement_number.strip()
    if recipient is None:
        errors["recipient"].append(_("Choisissez le destinataire de la facture (SIRET ou raison sociale)."))
        return
    if recipient.kind != StructureKind.PUBLIC:
        errors["recipient"].append(_("Le destinataire doit être une structure publique de l'annuaire."))
        return
    if not recipient.is_active:
        errors["recipient"].append(
            _("Le destinataire %(name)s n'est plus actif dans l'annuaire : la facture ne peut pas lui être adressée.")
            % {"name": recipient.name}
        )
        return
    service = invoice.recipient_service
    if service is not None:
        if service.structure_id != recipient.pk:
            errors["recipient_service"].append(
                _("SE/EJ incorrect : le code service %(code)s n'appartient pas au destinataire %(name)s.")
                % {"code": service.code, "name": recipient.name}
            )
        elif service.code == Service.RESERVED_CODE:
            errors["recipient_service"].append(
                _(
                    "Le code service %(code)s est réservé aux factures entre entités publiques : "
                    "choisissez un autre service du destinataire."
                )
                % {"code": service.code}
            )
        elif not service.is_active:
            errors["recipient_service"].append(
                _("SE/EJ incorrect : le service %(code)s du destinataire n'est plus actif.") % {"code": service.code}
            )
    elif recipient.service_required:
        errors["recipient_service"].append(
            _("Le destinataire %(name)s exige un code service : choisissez le service destinataire.")
            % {"name": recipient.name}
        )
    elif recipient.service_or_ej_required and not ej:
        errors["recipient_service"].append(
            _(
                "Le destinataire %(name)s exige un code service ou un numéro d'engagement : "
                "renseignez au moins l'un des deux."
            )
            % {"name": recipient.name}
        )
    if not ej:
        if recipient.ej_required:
            errors["engagement_number"].append(
                _("Le destinataire %(name)s exige un numéro d'engagement (EJ, n° de commande).")
                % {"name": recipient.name}
            )
        elif service is not None and service.structure_id == recipient.pk and service.ej_required:
            errors["engagement_number"].append(
                _("Le service %(code)s du destinataire exige un numéro d'engagement (EJ, n° de commande).")
                % {"code": service.code}
            )
        return
    known = list(EngagementJuridique.objects.filter(number=ej).values_list("recipient_id", "supplier_identifier"))
    if not known:
        return  # Not in the directory: the recipient's own checks decide later.
    of_recipient = [supplier_id for recipient_id, supplier_id in known if recipient_id == recipient.pk]
    if not of_recipient:
        errors["engagement_number"].append(
            _("SE/EJ incorrect : l'engagement %(ej)s n'appartient pas au destinataire %(name)s.")
            % {"ej": ej, "name": recipient.name}
        )
    elif invoice.supplier.identifier not in of_recipient:
        errors["engagement_number"].append(
            _(
                "Créancier inconnu ou différent de celui de l'EJ : l'engagement %(ej)s ne désigne pas votre "
                "structure (SIRET %(siret)s)."
            )
            % {"ej": ej, "siret": invoice.supplier.identifier}
        )


def _amount_errors(invoice: Invoice, errors) -> None:
    ht, tva, ttc = invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc
    if invoice.is_entry:
        if ht is None:
            return  # No line: reported with the lines.
    else:
        for name, value, label in (
            ("amount_ht", ht, _("le montant HT")),
            ("amount_tva", tva, _("le montant de TVA")),
            ("amount_ttc", ttc, _("le montant TTC")),
        ):
            if value is None:
                errors[name].append(_("Saisissez %(label)s.") % {"label": label})
        if None in (ht, tva, ttc):
            return
    if ht + tva != ttc:
        errors["amount_ttc"].append(
            _("Le montant TTC (%(ttc)s) doit être égal au montant HT plus la TVA (%(sum)s).")
            % {"ttc": totals.format_eur(ttc), "sum": totals.format_eur(ht + tva)}
        )
    vat_lines = list(invoice.vat_lines.all())
    if not vat_lines:
        errors["vat_lines"].append(_("Renseignez le récapitulatif de TVA (au moins un taux)."))
        return
    for line in vat_lines:
        rate_label = f"{line.rate.normalize():f}".replace(".", ",")
        if line.rate not in VAT_RATES:
            errors["vat_lines"].append(
                _("Le taux de TVA de %(rate)s %% n'est pas en vigueur en France.") % {"rate": rate_label}
            )
        elif line.rate == 0:
            if not line.exemption_reason.strip():
                errors["vat_lines"].append(_("Indiquez le motif d'exonération pour le taux de TVA de 0 %."))
            if line.vat_amount != 0:
                errors["vat_lines"].append(_("Le montant de TVA au taux de 0 % est nul."))
    bases = sum((line.base_ht for line in vat_lines), Decimal("0"))
    amounts = sum((line.vat_amount for line in vat_lines), Decimal("0"))
    if bases != ht:
        errors["vat_lines"].append(
            _("La somme des bases HT du récapitulatif de TVA (%(bases)s) doit être égale au montant HT (%(ht)s).")
            % {"bases": totals.format_eur(bases), "ht": totals.format_eur(ht)}
        )
    if amounts != tva:
        errors["vat_lines"].append(
            _(
                "La somme des montants de TVA du récapitulatif (%(amounts)s) doit être égale au montant de TVA (%(tva)s)."
            )
            % {"amounts": totals.format_eur(amounts), "tva": totals.format_eur(tva)}
        )


def sequence_next(key: str) -> int:
    """The next value of a named counter, under a row lock (safe on PostgreSQL and SQLite)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(key=key)
        sequence = Sequence.objects.select_for_update().get(key=key)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return sequence.last_value


def identifier_allocate(*, year: int) -> str:
    """The public identifier of a sent invoice: FAC-2026-0000123 (sequential per year)."""
    prefix = settings.INVOICE_IDENTIFIER_PREFIX
    value = sequence_next(f"{prefix}-{year}")
    return f"{prefix}-{year}-{value:07d}"


@transaction.atomic
def invoice_send(*, invoice: Invoice, user) -> Invoice:
    """ "Valider et envoyer": run every check, then deposit (status DEPOSEE).

    On failure, ``ValidationError({field: [messages]})`` and the draft is left as it was.
    """
    locked = _lock(invoice)
    errors = send_errors(locked, user)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    locked.identifier = identifier_allocate(year=timezone.localdate(now).year)
    locked.status = InvoiceStatus.DEPOSITED
    locked.sent_by = user
    locked.sent_at = now
    locked.number = locked.number.strip()
    locked.invoice_year = locked.invoice_date.year
    new_file = None
    if locked.is_entry:
        from invoices import rendering

        content = rendering.render_invoice_pdf(locked)
        locked.pdf.save("facture.pdf", ContentFile(content), save=False)
        new_file = locked.pdf.name
        locked.pdf_original_filename = clean_filename(f"facture-{locked.number}.pdf")
        locked.pdf_size = len(content)
    locked.certificate_issued_at = now
    locked.certificate_fingerprint = certificate_fingerprint(locked)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        # Another sending of the same number won the race between the check and the write.
        if new_file:
            locked.pdf.storage.delete(new_file)
        raise ValidationError(
            {"number": [_("Doublon : ce numéro de facture vient d'être utilisé par votre structure cette année.")]}
        ) from None
    transaction.on_commit(lambda: _after_send(locked))
    return locked


def _after_send(invoice: Invoice) -> None:
    """Hook run once a sending is committed.

    The lifecycle issue fills it: enqueue the routing task (``invoices.route_invoice``, taking the
    invoice id) that moves the invoice to EN_COURS_ACHEMINEMENT, and notify the supplier. Until
    that task exists there is nothing to enqueue; the deposit is only logged.
    """
    logger.info("Facture %s déposée (id %s)", invoice.identifier, invoice.pk)


# --- Deposit certificate ----------------------------------------------------------------------


def _file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.storage.open(field_file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(64 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def certificate_data(invoice: Invoice) -> dict:
    """The deposit data the certificate's fingerprint covers (stable, JSON-safe)."""

    def amount(value):
        return None if value is None else f"{value:.2f}"

    return {
        "identifiant": invoice.identifier,
        "numero": invoice.number,
        "type": invoice.invoice_type,
        "cadre": invoice.cadre,
        "date_facture": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "fournisseur_siret": invoice.supplier.identifier,
        "destinataire_siret": invoice.recipient.identifier if invoice.recipient else None,
        "code_service": invoice.recipient_service.code if invoice.recipient_service else "",
        "numero_engagement": invoice.engagement_number,
        "numero_marche": invoice.market_number,
        "devise": invoice.currency,
        "montant_ht": amount(invoice.amount_ht),
        "montant_tva": amount(invoice.amount_tva),
        "montant_ttc": amount(invoice.amount_ttc),
        "tva": [
            {"taux": f"{line.rate:.2f}", "base_ht": amount(line.base_ht), "montant": amount(line.vat_amount)}
            for line in invoice.vat_lines.order_by("-rate", "id")
        ],
        "mode_depot": invoice.deposit_mode,
        "fichier": {
            "nom": invoice.pdf_original_filename,
            "taille": invoice.pdf_size,
            "sha256": _file_sha256(invoice.pdf) if invoice.pdf else None,
        },
        "pieces_jointes": [
            {"nom": a.original_filename, "taille": a.size, "sha256": _file_sha256(a.file)}
            for a in invoice.attachments.order_by("id")
        ],
        "depose_le": invoice.sent_at.astimezone(UTC).isoformat() if invoice.sent_at else None,
    }


def canonical_json(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate_fingerprint(invoice: Invoice) -> str:
    """SHA-256 (hex) of the main file's bytes followed by the canonical JSON of the deposit data."""
    digest = hashlib.sha256()
    if invoice.pdf:
        with invoice.pdf.storage.open(invoice.pdf.name, "rb") as handle:
            for chunk in iter(lambda: handle.read(64 * 1024), b""):
                digest.update(chunk)
    digest.update(canonical_json(certificate_data(invoice)))
    return digest.hexdigest()


def certificate_verify(invoice: Invoice) -> bool:
    """Whether the stored files and data still match the certificate issued at sending."""
    return bool(invoice.certificate_fingerprint) and certificate_fingerprint(invoice) == invoice.certificate_fingerprint
