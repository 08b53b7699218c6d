"""Writes on a supplier's own data: its services and its bank details."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from structures import access
from structures.models import BankAccount, Service, Structure, StructureKind
from structures.services.common import (
    BANK_ACCOUNT_EDITABLE_FIELDS,
    SERVICE_EDITABLE_FIELDS,
    apply_fields,
)
from structures.validators import normalize_bic, normalize_iban, validate_bic, validate_iban

# --- Services of a supplier -------------------------------------------------------------------


def _clean_service_code(structure: Structure, code: str, *, exclude_pk=None) -> str:
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


@transaction.atomic
def service_create(*, structure: Structure, actor, code: str, name: str, **fields) -> Service:
    access.check_can_manage(actor, structure)
    code = _clean_service_code(structure, code)
    service = Service(structure=structure, code=code, name=(name or "").strip())
    apply_fields(service, fields, SERVICE_EDITABLE_FIELDS, "service_create")
    service.full_clean(validate_unique=False, validate_constraints=False)
    service.save()
    return service


@transaction.atomic
def service_update(*, service: Service, actor, **fields) -> Service:
    access.check_can_manage(actor, service.structure)
    if "code" in fields:
        fields["code"] = _clean_service_code(service.structure, fields["code"], exclude_pk=service.pk)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changed = apply_fields(service, fields, SERVICE_EDITABLE_FIELDS, "service_update")
    if changed:
        service.full_clean(validate_unique=False, validate_constraints=False)
        service.save(update_fields=[*changed, "updated_at"])
    return service


def service_deactivate(*, service: Service, actor) -> Service:
    return service_update(service=service, actor=actor, is_active=False)


# --- Bank details -----------------------------------------------------------------------------


def _clean_bank_fields(structure: Structure, fields: dict, *, exclude_pk=None) -> dict:
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
def bank_account_create(*, structure: Structure, actor, label: str, iban: str, bic: str) -> BankAccount:
    access.check_can_manage(actor, structure)
    if structure.kind != StructureKind.PRIVATE:
        raise ValidationError(_("Seule une structure privée (fournisseur) enregistre des coordonnées bancaires."))
    fields = _clean_bank_fields(structure, {"label": label, "iban": iban, "bic": bic})
    return BankAccount.objects.create(structure=structure, **fields)


@transaction.atomic
def bank_account_update(*, bank_account: BankAccount, actor, **fields) -> BankAccount:
    access.check_can_manage(actor, bank_account.structure)
    unknown = set(fields) - BANK_ACCOUNT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"bank_account_update: champs non modifiables {sorted(unknown)}")
    fields = _clean_bank_fields(bank_account.structure, fields, exclude_pk=bank_account.pk)
    changed = apply_fields(bank_account, fields, BANK_ACCOUNT_EDITABLE_FIELDS, "bank_account_update")
    if changed:
        bank_account.save(update_fields=[*changed, "updated_at"])
    return bank_account


def bank_account_deactivate(*, bank_account: BankAccount, actor) -> BankAccount:
    """Stop offering these bank details for new invoices (past invoices keep theirs)."""
    return bank_account_update(bank_account=bank_account, actor=actor, is_active=False)
