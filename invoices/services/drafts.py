"""Manual entry and drafts: create, save (with lines or VAT breakdown) and delete a draft."""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from invoices import binding, totals
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    NEGATIVE_TYPE_CODE,
    VAT_RATES,
    Cadre,
    DepositMode,
    Invoice,
    InvoiceLine,
    InvoiceType,
    InvoiceVatLine,
    PaymentMode,
)
from invoices.services._common import (
    AMOUNT_FIELDS,
    check_draft,
    check_member,
    delete_files,
    lock_for_edit,
    single_bank_account,
    vat_line_rows,
)
from invoices.workflow import Status
from structures.models import Structure, StructureKind

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


@transaction.atomic
def invoice_create(*, supplier: Structure, user, lines: list[dict] | None = None, **fields) -> Invoice:
    """Create the draft of an invoice typed on the portal (saisie), with whatever is filled in; its
    VAT breakdown is computed from its ``lines``."""
    check_member(user, supplier)
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
        bank_account=single_bank_account(supplier),
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
    invoice = lock_for_edit(invoice)
    check_draft(invoice)
    check_member(user, invoice.supplier)
    if invoice.is_entry:
        for name in AMOUNT_FIELDS:
            fields.pop(name, None)

    errors: dict[str, list[str]] = defaultdict(list)
    if invoice.is_structured:
        _check_bound(invoice, fields, vat_lines, errors)
        if errors:
            raise ValidationError(dict(errors))
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
        if value is not None and value < 0 and invoice.type_code != NEGATIVE_TYPE_CODE:
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


def _check_bound(invoice: Invoice, fields: dict, vat_lines, errors) -> None:
    """A structured invoice's bound fields (``invoices.binding``) cannot change, whoever asks."""
    bound = binding.bound_values(invoice.extracted_data)
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name in bound and value != bound[name]:
            errors[name].append(binding.changed_message(name))
    if binding.recipient_bound(invoice.extracted_data) and "recipient" in fields:
        if fields["recipient"] != invoice.recipient:
            errors["recipient"].append(binding.changed_message("recipient"))
    if binding.service_bound(invoice.extracted_data) and "recipient_service" in fields:
        if fields["recipient_service"] != invoice.recipient_service:
            errors["recipient_service"].append(binding.changed_message("recipient_service"))
    if vat_lines is not None:
        errors["vat_lines"].append(binding.changed_message("vat_lines"))


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
    InvoiceVatLine.objects.bulk_create(vat_line_rows(invoice, computed.by_rate))
    if rows:
        invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc = computed.ht, computed.tva, computed.ttc
    else:
        invoice.amount_ht = invoice.amount_tva = invoice.amount_ttc = None


def _replace_vat_lines(invoice: Invoice, vat_lines: list[dict]) -> None:
    rows = []
    for line in vat_lines:
        base, amount = Decimal(line["base_ht"]), Decimal(line["vat_amount"])
        if (base < 0 or amount < 0) and invoice.type_code != NEGATIVE_TYPE_CODE:
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
    invoice = lock_for_edit(invoice)
    check_draft(invoice)
    check_member(user, invoice.supplier)
    names = [invoice.pdf.name] if invoice.pdf else []
    names += [a.file.name for a in invoice.attachments.all()]
    storage = invoice.pdf.storage
    invoice.delete()
    transaction.on_commit(lambda: delete_files(storage, names))
