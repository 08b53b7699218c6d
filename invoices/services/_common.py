"""Helpers the invoice services share: membership and draft guards, the edit lock, file names and
deletion, the supplier's single bank account, VAT breakdown rows."""

import logging
import os
import re
import unicodedata

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from invoices.models import Invoice, InvoiceVatLine
from structures import access
from structures.models import BankAccount, Structure

logger = logging.getLogger(__name__)


AMOUNT_FIELDS = ("amount_ht", "amount_tva", "amount_ttc")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_member(user, structure: Structure) -> bool:
    return access.is_active_member(user, structure)


def check_member(user, structure: Structure) -> None:
    if not is_member(user, structure):
        raise PermissionDenied(_("Vous n'êtes pas rattaché à cette structure."))


def lock_for_edit(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("supplier", "recipient", "recipient_service", "bank_account", "supplier_service")
        .get(pk=invoice.pk)
    )


def check_draft(invoice: Invoice) -> None:
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


def vat_line_rows(invoice: Invoice, items) -> list[InvoiceVatLine]:
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


def single_bank_account(supplier: Structure) -> BankAccount | None:
    accounts = list(BankAccount.objects.filter(structure=supplier, is_active=True)[:2])
    return accounts[0] if len(accounts) == 1 else None


def delete_files(storage, names: list[str]) -> None:
    """Delete stored files (call after the commit); a failure is logged, never raised."""
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Fichier %s non supprimé", name, exc_info=True)
