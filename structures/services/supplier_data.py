"""Writes on a structure's own data: its services and its bank details, and the checks they make.

The ``*_check`` functions are the rules the writes apply; forms (portal and admin) ask them too, to
show a refusal next to its field before anything is written.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from structures import access
from structures.models import BankAccount, Service, Structure, StructureKind
from structures.services.common import (
    BANK_ACCOUNT_EDITABLE_FIELDS,
    SERVICE_EDITABLE_FIELDS,
    SERVICE_SUPPORT_FIELDS,
    apply_fields,
)
from structures.validators import normalize_bic, normalize_iban, validate_bic, validate_iban

# --- Services of a supplier -------------------------------------------------------------------


def service_code_check(*, structure: Structure, code: str, exclude_pk=None) -> str:
    """The code normalised (upper case), or a ValidationError on ``code``: present, not the code
    reserved to public bodies for a supplier, unique within the structure."""
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": _("Saisissez le code du service.")})
    if structure.kind == StructureKind.PRIVATE and code == Service.RESERVED_CODE:
        raise ValidationError(
            {"code": _("Le code %(code)s est réservé aux factures entre entités publiques.") % {"code": code}}
        )
    duplicates = Service.objects.filter(structure=structure, code=code)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise ValidationError(
            {"code": _("Un service de cette structure utilise déjà le code %(code)s.") % {"code": code}}
        )
    return code


def _service_fields(actor) -> frozenset:
    return SERVICE_SUPPORT_FIELDS if access.is_support(actor) else SERVICE_EDITABLE_FIELDS


@transaction.atomic
def service_create(*, structure: Structure, actor, code: str, name: str, **fields) -> Service:
    access.check_can_manage(actor, structure)
    code = service_code_check(structure=structure, code=code)
    service = Service(structure=structure, code=code, name=(name or "").strip())
    apply_fields(service, fields, _service_fields(actor), "service_create")
    service.full_clean(validate_unique=False, validate_constraints=False)
    service.save()
    return service


@transaction.atomic
def service_update(*, service: Service, actor, **fields) -> Service:
    access.check_can_manage(actor, service.structure)
    if "code" in fields:
        fields["code"] = service_code_check(structure=service.structure, code=fields["code"], exclude_pk=service.pk)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changed = apply_fields(service, fields, _service_fields(actor), "service_update")
    if changed:
        service.full_clean(validate_unique=False, validate_constraints=False)
        service.save(update_fields=[*changed, "updated_at"])
    return service


def service_deactivate(*, service: Service, actor) -> Service:
    return service_update(service=service, actor=actor, is_active=False)


# --- Bank details -----------------------------------------------------------------------------


def bank_account_check(*, structure: Structure, fields: dict, exclude_pk=None) -> dict:
    """The fields normalised (IBAN, BIC, label), or a ValidationError keyed by field: a supplier's
    structure, a valid IBAN not already recorded for it, a valid BIC, a label."""
    if structure.kind != StructureKind.PRIVATE:
        raise ValidationError(
            {"structure": _("Seule une structure privée (fournisseur) enregistre des coordonnées bancaires.")}
        )
    errors = {}
    if "iban" in fields:
        fields["iban"] = normalize_iban(fields["iban"])
        try:
            validate_iban(fields["iban"])
        except ValidationError as exc:
            errors["iban"] = exc.messages
        else:
            duplicates = BankAccount.objects.filter(structure=structure, iban=fields["iban"])
            if exclude_pk is not None:
                duplicates = duplicates.exclude(pk=exclude_pk)
            if duplicates.exists():
                errors["iban"] = [_("Cet IBAN est déjà enregistré pour cette structure.")]
    if "bic" in fields:
        fields["bic"] = normalize_bic(fields["bic"])
        try:
            validate_bic(fields["bic"])
        except ValidationError as exc:
            errors["bic"] = exc.messages
    if "label" in fields:
        fields["label"] = (fields["label"] or "").strip()
        if not fields["label"]:
            errors["label"] = [_("Saisissez un libellé pour ces coordonnées bancaires.")]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def bank_account_create(
    *, structure: Structure, actor, label: str, iban: str, bic: str, is_active: bool = True
) -> BankAccount:
    access.check_can_manage(actor, structure)
    fields = bank_account_check(structure=structure, fields={"label": label, "iban": iban, "bic": bic})
    return BankAccount.objects.create(structure=structure, is_active=bool(is_active), **fields)


@transaction.atomic
def bank_account_update(*, bank_account: BankAccount, actor, **fields) -> BankAccount:
    access.check_can_manage(actor, bank_account.structure)
    unknown = set(fields) - BANK_ACCOUNT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"bank_account_update: champs non modifiables {sorted(unknown)}")
    fields = bank_account_check(structure=bank_account.structure, fields=fields, exclude_pk=bank_account.pk)
    changed = apply_fields(bank_account, fields, BANK_ACCOUNT_EDITABLE_FIELDS, "bank_account_update")
    if changed:
        bank_account.save(update_fields=[*changed, "updated_at"])
    return bank_account


def bank_account_deactivate(*, bank_account: BankAccount, actor) -> BankAccount:
    """Stop offering these bank details for new invoices (past invoices keep theirs)."""
    return bank_account_update(bank_account=bank_account, actor=actor, is_active=False)
