"""Writes on a fiche structure: creation (or a request to join it), update and the billing mandate."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import user_accept_cgu
from structures import access
from structures.models import (
    IdentifierType,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Structure,
    StructureKind,
)
from structures.services.common import STRUCTURE_EDITABLE_FIELDS, apply_fields, record_event
from structures.services.memberships import membership_request
from structures.validators import normalize_siret, normalize_vat_number, validate_siret, validate_vat_number


def _clean_vat(value: str) -> str:
    value = normalize_vat_number(value)
    if value:
        try:
            validate_vat_number(value)
        except ValidationError as exc:
            raise ValidationError({"vat_number": exc.messages}) from None
    return value


# --- Structures -------------------------------------------------------------------------------


@transaction.atomic
def structure_create(
    *,
    user,
    kind=StructureKind.PRIVATE,
    identifier_type: str,
    identifier: str,
    name: str,
    **fields,
) -> Membership:
    """Create a fiche structure whose creator becomes its gestionnaire principal.

    When a structure with this identifier already exists, nothing is created: the call becomes a
    demande de rattachement to that structure, and the pending membership is returned (the caller
    tells the user so; ``membership.status`` says which case happened).
    """
    identifier = (identifier or "").strip()
    if identifier_type == IdentifierType.SIRET:
        identifier = normalize_siret(identifier)
        try:
            validate_siret(identifier)
        except ValidationError as exc:
            raise ValidationError({"identifier": exc.messages}) from None
    if not identifier:
        raise ValidationError({"identifier": _("Saisissez l'identifiant de la structure.")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Saisissez la raison sociale.")})

    existing = Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).first()
    if existing is not None:
        return membership_request(user=user, structure=existing)
    if "vat_number" in fields:
        fields["vat_number"] = _clean_vat(fields["vat_number"])

    structure = Structure(kind=kind, identifier_type=identifier_type, identifier=identifier, name=name, **fields)
    structure.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            structure.save()
    except IntegrityError:
        # Created by someone else in the meantime: ask to join it instead.
        existing = Structure.objects.get(identifier_type=identifier_type, identifier=identifier)
        return membership_request(user=user, structure=existing)

    membership = Membership.objects.create(
        user=user,
        structure=structure,
        role=MembershipRole.MAIN_MANAGER,
        status=MembershipStatus.ACTIVE,
        decided_at=timezone.now(),
    )
    record_event(membership, MembershipEvent.Action.CREATED_STRUCTURE, user)
    return membership


@transaction.atomic
def structure_update(*, structure: Structure, actor, **fields) -> Structure:
    """Change the fiche structure (raison sociale, address, contact, VAT number)."""
    access.check_can_manage(actor, structure)
    if "vat_number" in fields:
        fields["vat_number"] = _clean_vat(fields["vat_number"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changed = apply_fields(structure, fields, STRUCTURE_EDITABLE_FIELDS, "structure_update")
    if changed:
        structure.full_clean(validate_unique=False, validate_constraints=False)
        structure.save(update_fields=[*changed, "updated_at"])
    return structure


@transaction.atomic
def structure_accept_mandate(*, structure: Structure, user) -> Structure:
    """Record the acceptance of the mandat de facturation (first time only: who and when).

    The user's own CGU acceptance is recorded too when it is missing.
    """
    if not (access.is_active_member(user, structure) or access.is_support(user)):
        raise PermissionDenied(_("Vous n'êtes pas rattaché à cette structure."))
    if structure.is_public:
        raise ValidationError(_("Le mandat de facturation concerne les structures privées (fournisseurs)."))
    user_accept_cgu(user=user)
    locked = Structure.objects.select_for_update().get(pk=structure.pk)
    if locked.mandate_accepted_at is None:
        locked.mandate_accepted_at = timezone.now()
        locked.mandate_accepted_by = user
        locked.save(update_fields=["mandate_accepted_at", "mandate_accepted_by", "updated_at"])
    structure.mandate_accepted_at = locked.mandate_accepted_at
    structure.mandate_accepted_by_id = locked.mandate_accepted_by_id
    return structure
