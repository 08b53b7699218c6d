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
(routing to the recipient) belongs to the lifecycle: "deposer" re-routes, says the table.
"""

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices import extraction, lifecycle, notifications, pdf, rendering, selectors, totals, workflow
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    MOTIF_CREANCIER_INCONNU,
    MOTIF_SE_EJ_INCORRECT,
    VAT_RATES,
    Cadre,
    DepositMode,
    DigestDelivery,
    Invoice,
    InvoiceAttachment,
    InvoiceEvent,
    InvoiceLine,
    InvoiceType,
    InvoiceVatLine,
    PaymentMode,
    Sequence,
)
from invoices.workflow import Status
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


def _check_supplier_may(invoice: Invoice, transition: str) -> workflow.Transition:
    """The table's word on a supplier action (recycler, completer) for this invoice's status, as a
    ``ValidationError`` the supplier's page shows."""
    try:
        return workflow.check(status=invoice.status, transition=transition, actor=workflow.Actor.SUPPLIER)
    except workflow.TransitionError as exc:
        raise ValidationError({NON_FIELD_ERRORS: [str(exc)]}, code="wrong_status") from None


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
def _vat_line_rows(invoice: Invoice, items) -> list[InvoiceVatLine]:
    """VAT breakdown rows from items carrying rate, base_ht, vat_amount and exemption_reason."""
    return [
        InvoiceVatLine(
            invoice=invoice,
            rate=item.rate,
            base_ht=item.base_ht,
            vat_amount=item.vat_amount,
            exemption_reason=item.exemption_reason,
        )
        for item in items
    ]


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
        status=Status.BROUILLON,
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
                _vat_line_rows(
                    invoice, [line for line in found.vat_lines if line.base_ht >= 0 and line.vat_amount >= 0]
                )
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
        status=Status.BROUILLON,
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
    InvoiceVatLine.objects.bulk_create(_vat_line_rows(invoice, computed.by_rate))
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
    transaction.on_commit(lambda: delete_files(storage, names))


def delete_files(storage, names: list[str]) -> None:
    """Delete stored files (call after the commit); a failure is logged, never raised."""
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Fichier %s non supprimé", name, exc_info=True)


# --- Attachments ------------------------------------------------------------------------------


def attachment_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@transaction.atomic
def invoice_add_attachments(
    *, invoice: Invoice, user, files: list, completing: bool = False
) -> list[InvoiceAttachment]:
    """Add pièces jointes to a draft: each non-empty, ≤ 10 Mo, an extension of the real portal's
    list; the invoice and all its attachments ≤ 120 Mo. All or nothing.

    ``completing=True`` is the answer to a suspension (``invoice_complete``): the invoice must then
    be SUSPENDUE instead of a draft; the same file rules apply.
    """
    invoice = _lock(invoice)
    if completing:
        if not workflow.allows(status=invoice.status, transition="completer", actor=workflow.Actor.SUPPLIER):
            raise ValidationError(
                {"attachments": [_("Des pièces jointes ne s'ajoutent qu'à une facture suspendue, pour la compléter.")]},
                code="not_suspended",
            )
    else:
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
    transaction.on_commit(lambda: delete_files(storage, [name]))


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
            .exclude(status=Status.BROUILLON)
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


def _recipient_errors(invoice: Invoice, errors) -> str | None:
    """The directory checks of the recipient, its code service and the EJ (reference §3), added
    to ``errors``; used at sending, at recycling and again by the routing task.

    Returns the code of the technical motif that describes the failure (``SE_EJ_INCORRECT``, or
    ``CREANCIER_INCONNU`` when the EJ names another supplier), ``None`` when all is right.
    """
    before = sum(len(v) for v in errors.values())
    creditor = _recipient_checks(invoice, errors)
    if sum(len(v) for v in errors.values()) == before:
        return None
    return MOTIF_CREANCIER_INCONNU if creditor else MOTIF_SE_EJ_INCORRECT


def _recipient_checks(invoice: Invoice, errors) -> bool:
    """The checks themselves; returns True when the EJ designates another creditor."""
    recipient = invoice.recipient
    ej = invoice.engagement_number.strip()
    if recipient is None:
        errors["recipient"].append(_("Choisissez le destinataire de la facture (SIRET ou raison sociale)."))
        return False
    if recipient.kind != StructureKind.PUBLIC:
        errors["recipient"].append(_("Le destinataire doit être une structure publique de l'annuaire."))
        return False
    if not recipient.is_active:
        errors["recipient"].append(
            _("Le destinataire %(name)s n'est plus actif dans l'annuaire : la facture ne peut pas lui être adressée.")
            % {"name": recipient.name}
        )
        return False
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
        return False
    known = list(EngagementJuridique.objects.filter(number=ej).values_list("recipient_id", "supplier_identifier"))
    if not known:
        return False  # Not in the directory: the recipient's own checks decide later.
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
        return True
    return False


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
    transition = workflow.check(status=locked.status, transition="deposer", actor=workflow.Actor.SUPPLIER)
    locked.identifier = identifier_allocate(year=timezone.localdate(now).year)
    locked.sent_by = user
    locked.sent_at = now
    locked.number = locked.number.strip()
    locked.invoice_year = locked.invoice_date.year
    new_file = None
    if locked.is_entry:
        content = rendering.render_invoice_pdf(locked)
        locked.pdf.save("facture.pdf", ContentFile(content), save=False)
        new_file = locked.pdf.name
        locked.pdf_original_filename = clean_filename(f"facture-{locked.number}.pdf")
        locked.pdf_size = len(content)
    locked.certificate_issued_at = now
    locked.certificate_fingerprint = certificate_fingerprint(locked)
    try:
        with transaction.atomic():
            # The same writer as every other transition: status, status_changed_at, the event.
            lifecycle.apply_transition(locked, transition=transition, actor=workflow.Actor.SUPPLIER, user=user, now=now)
    except IntegrityError:
        # Another sending of the same number won the race between the check and the write.
        if new_file:
            locked.pdf.storage.delete(new_file)
        raise ValidationError(
            {"number": [_("Doublon : ce numéro de facture vient d'être utilisé par votre structure cette année.")]}
        ) from None
    # The routing task is enqueued on commit by ``apply_transition`` ("deposer" re-routes); on a
    # broker outage the invoice waits as DEPOSEE for ``invoices.sweep_stuck_invoices``.
    logger.info("Facture %s déposée (id %s)", locked.identifier, locked.pk)
    return locked


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
            for a in _attachments_at_sending(invoice)
        ],
        "depose_le": invoice.sent_at.astimezone(UTC).isoformat() if invoice.sent_at else None,
    }


def _attachments_at_sending(invoice: Invoice):
    """The attachments the certificate covers: those sent with the invoice, not the ones added
    later to answer a suspension (they are recorded in the history)."""
    attachments = invoice.attachments.order_by("id")
    if invoice.sent_at is not None:
        attachments = attachments.filter(created_at__lte=invoice.sent_at)
    return attachments


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


# --- Lifecycle: routing, supplier actions, sweeping -----------------------------------------------
def invoice_transition(
    *,
    invoice,
    transition: str,
    actor: workflow.Actor,
    user=None,
    motif=None,
    comment: str = "",
    mandate_number: str = "",
) -> InvoiceEvent | None:
    """The front door of every transition (tasks, commands, the admin through its task): fire
    ``transition`` on ``invoice`` (an Invoice or an id) as ``actor`` and return the event.

    "deposer" is the full sending of a draft (``invoice_send``, every check of "Valider et
    envoyer"); every other transition is written by ``lifecycle.invoice_transition``, which raises
    ``workflow.TransitionError`` (French) when the table, the motif rule or the user's rights
    forbid it, and returns ``None`` for a repeated delivery.
    """
    if transition != lifecycle.SEND_TRANSITION:
        return lifecycle.invoice_transition(
            invoice=invoice,
            transition=transition,
            actor=actor,
            user=user,
            motif=motif,
            comment=comment,
            mandate_number=mandate_number,
        )
    if user is None:
        raise workflow.TransitionError(_("L'envoi d'une facture est fait par un utilisateur du fournisseur."))
    with transaction.atomic():
        locked = lifecycle.lock_invoice(invoice)
        try:
            workflow.check(status=locked.status, transition=transition, actor=workflow.Actor(actor))
        except workflow.AlreadyApplied:
            return None
        lifecycle.check_user(invoice=locked, actor=workflow.Actor(actor), user=user)
        invoice_send(invoice=locked, user=user)
        return locked.events.order_by("-created_at", "-id").first()


def routing_errors(invoice: Invoice) -> tuple[dict[str, list[str]], str | None]:
    """The directory checks of ``_recipient_errors`` run against the directory as it is now:
    ({field: [messages]}, the code of the technical motif or None)."""
    errors: dict[str, list[str]] = defaultdict(list)
    motif = _recipient_errors(invoice, errors)
    return dict(errors), motif


ROUTING_RELATED = ("supplier", "recipient", "recipient_service")


def invoice_route(*, invoice) -> str:
    """Route a deposited invoice (``invoice`` is an Invoice or an id); return its status after.

    DEPOSEE → EN_COURS_ACHEMINEMENT (``acheminer``), committed; then, in a second transaction,
    the recipient, its code service and the EJ are checked again against the directory and the
    invoice goes to MISE_A_DISPOSITION (``mettre_a_disposition``) or back to the supplier,
    A_RECYCLER (``echec_acheminement``, motif SE/EJ incorrect or Créancier inconnu, the reasons in
    the comment). A process stopped between the two steps leaves EN_COURS_ACHEMINEMENT, which the
    next run finishes; any other status is left alone, so a repeated run changes nothing.
    """
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    system = workflow.Actor.SYSTEM
    # A repeated delivery usually finds the work done: answer it without two locking transactions
    # (measured with a real worker: ~390 repeated deliveries/s instead of ~60).
    current = Invoice.objects.filter(pk=pk).values_list("status", flat=True).first()
    if current is None:
        raise Invoice.DoesNotExist(f"Facture {pk} introuvable")
    if current not in workflow.ROUTING_STATUSES:
        return current
    with transaction.atomic():
        locked = lifecycle.lock_invoice(pk)
        if locked.status == Status.DEPOSEE:
            lifecycle.transition_locked(locked, transition="acheminer", actor=system)
    with transaction.atomic():
        locked = lifecycle.lock_invoice(pk, related=ROUTING_RELATED)
        if locked.status != Status.EN_COURS_ACHEMINEMENT:
            return locked.status
        errors, motif = routing_errors(locked)
        if motif is None:
            lifecycle.transition_locked(locked, transition="mettre_a_disposition", actor=system)
        else:
            comment = "\n".join(message for messages in errors.values() for message in messages)
            lifecycle.transition_locked(
                locked, transition="echec_acheminement", actor=system, motif=motif, comment=comment
            )
            logger.info("Facture %s renvoyée au fournisseur : %s", locked.identifier, comment)
        return locked.status


RECYCLE_FIELDS = ("recipient", "recipient_service", "engagement_number")


@transaction.atomic
def invoice_recycle(
    *, invoice: Invoice, user, recipient: Structure | None, recipient_service: Service | None, engagement_number: str
) -> InvoiceEvent:
    """ "Recycler" an invoice À recycler: the supplier may change only the recipient SIRET, the
    code service and the EJ (same number, same files). The directory checks run first (a refusal
    is ``ValidationError`` and changes nothing); then ``recycler`` → EN_COURS_ACHEMINEMENT and the
    routing task is enqueued on commit (it continues from there). The deposit certificate is
    issued again, since the data it covers changed."""
    locked = lifecycle.lock_invoice(invoice, related=ROUTING_RELATED)
    _check_member(user, locked.supplier)
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
    locked.certificate_issued_at = timezone.now()
    locked.certificate_fingerprint = certificate_fingerprint(locked)
    locked.save(update_fields=[*RECYCLE_FIELDS, "certificate_issued_at", "certificate_fingerprint", "updated_at"])
    event = lifecycle.transition_locked(
        locked,
        transition="recycler",
        actor=workflow.Actor.SUPPLIER,
        user=user,
        comment="\n".join(changes) if changes else _("Facture recyclée sans modification."),
    )
    return event  # ``invoice_transition`` enqueues the routing task on commit


@transaction.atomic
def invoice_complete(*, invoice: Invoice, user, files: list | None = None, comment: str = "") -> InvoiceEvent:
    """ "Compléter" a suspended invoice: attachments and/or a comment (at least one), then
    ``completer`` → COMPLETEE, back to the recipient. All or nothing."""
    locked = lifecycle.lock_invoice(invoice)
    _check_member(user, locked.supplier)
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
    _check_member(user, locked.supplier)
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
    _check_member(user, source.supplier)
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
    """Deposit (or replace) the PDF of a draft of a deposited invoice, with the checks of
    ``invoice_deposit`` (used by a draft created from a rejected invoice)."""
    locked = _lock(invoice)
    _check_draft(locked)
    _check_member(user, locked.supplier)
    if locked.is_entry:
        raise ValidationError({"file": [_("Une facture saisie sur le portail n'a pas de PDF à déposer.")]})
    try:
        data = pdf.read_upload(file, limit=settings.INVOICE_MAX_PDF_SIZE)
        pdf.check_pdf(data, signed=locked.deposit_mode == DepositMode.SIGNED_PDF)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    old = locked.pdf.name if locked.pdf else None
    storage = locked.pdf.storage
    locked.pdf.save("facture.pdf", ContentFile(data), save=False)
    locked.pdf_original_filename = clean_filename(getattr(file, "name", ""))
    locked.pdf_size = len(data)
    locked.save(update_fields=["pdf", "pdf_original_filename", "pdf_size", "updated_at"])
    if old:
        transaction.on_commit(lambda: delete_files(storage, [old]))
    return locked


def invoices_stuck(*, older_than_minutes: int):
    """Invoices DEPOSEE or EN_COURS_ACHEMINEMENT for more than ``older_than_minutes`` (their routing
    task was lost: broker down at sending, worker killed), oldest first."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return (
        Invoice.objects.filter(status__in=workflow.ROUTING_STATUSES)
        .filter(Q(status_changed_at__lte=cutoff) | Q(status_changed_at__isnull=True, sent_at__lte=cutoff))
        .order_by("status_changed_at", "id")
    )


def invoices_requeue_stuck(*, older_than_minutes: int, dry_run: bool = False) -> list[int]:
    """Enqueue ``invoices.route_invoice`` again for each stuck invoice (see ``invoices_stuck``), at
    most ``INVOICE_SWEEP_BATCH`` a run; return their ids (only listed with ``dry_run``). Routing
    is idempotent, so an invoice whose task was only late is not harmed by a second one."""
    ids = list(
        invoices_stuck(older_than_minutes=older_than_minutes).values_list("id", flat=True)[
            : settings.INVOICE_SWEEP_BATCH
        ]
    )
    if not dry_run:
        for pk in ids:
            lifecycle.enqueue_routing(pk)
        if ids:
            logger.warning("%s facture(s) bloquée(s) remise(s) en file d'acheminement : %s", len(ids), ids)
    return ids


def invoices_remind_suspended(*, after_days: int, now=None) -> list[int]:
    """E-mail the supplier about each invoice SUSPENDUE for ``after_days`` days or more without an
    answer, once per period of ``after_days`` days (``last_reminder_at``, claimed by a conditional
    UPDATE before sending, so a second run sends nothing). Returns the ids reminded."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=after_days)
    due = Q(status=Status.SUSPENDUE, status_changed_at__lte=cutoff) & (
        Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lte=cutoff)
    )
    reminded = []
    candidates = Invoice.objects.filter(due).order_by("status_changed_at", "id").values_list("id", "last_reminder_at")
    for pk, previous in list(candidates):
        if not Invoice.objects.filter(due, pk=pk).update(last_reminder_at=now):
            continue  # another run took it
        invoice = Invoice.objects.select_related("supplier", "recipient").get(pk=pk)
        try:
            notifications.send(notifications.reminder_messages(invoice, days=after_days))
        except BaseException:
            Invoice.objects.filter(pk=pk, last_reminder_at=now).update(last_reminder_at=previous)
            raise
        reminded.append(pk)
    return reminded


def digest_send(*, now=None) -> int:
    """Send the daily digests (``invoices.send_daily_digest``); return how many were sent."""

    since, day = notifications.digest_window(now)
    sent = 0
    for user in notifications.digest_users():
        groups = notifications.digest_groups(user, since=since)
        if not groups:
            continue
        count = sum(len(g["events"]) for g in groups)
        try:
            with transaction.atomic():
                delivery = DigestDelivery.objects.create(user=user, day=day, events_count=count)
        except IntegrityError:
            continue  # already sent today
        try:
            notifications.send([notifications.digest_message(user, groups=groups, since=since, day=day)])
        except BaseException:
            delivery.delete()
            raise
        sent += 1
    return sent
