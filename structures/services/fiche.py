"""Writes on a fiche structure: creation (or a request to join it), update, VAT rule, billing mandate."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import tva as stdnum_fr_tva

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
from structures.services.common import (
    STRUCTURE_EDITABLE_FIELDS,
    STRUCTURE_SUPPORT_FIELDS,
    apply_fields,
    display,
    record_event,
    send_email,
)
from structures.services.memberships import membership_request
from structures.validators import normalize_siret, normalize_vat_number, validate_siret, validate_vat_number


def _vat_siren(vat_number: str) -> str:
    try:
        return stdnum_fr_tva.to_siren(vat_number)
    except StdnumError:  # Monaco: a valid French VAT number without a SIREN
        return ""


def vat_number_check(*, vat_number: str, identifier_type: str = "", identifier: str = "") -> str:
    """The VAT number normalised, or a ValidationError on ``vat_number``: a valid number and, for a
    French one of a structure identified by its SIRET, the same SIREN.

    The services below apply it; forms (portal and admin) ask it to show the message next to the
    field before anything is written.
    """
    value = normalize_vat_number(vat_number)
    if not value:
        return ""
    try:
        validate_vat_number(value)
    except ValidationError as exc:
        raise ValidationError({"vat_number": exc.messages}) from None
    siret = normalize_siret(identifier) if identifier_type == IdentifierType.SIRET else ""
    if len(siret) == 14 and value.startswith("FR") and _vat_siren(value) not in ("", siret[:9]):
        raise ValidationError(
            {
                "vat_number": _("Ce numéro de TVA ne correspond pas au SIREN de la structure (%(siren)s).")
                % {"siren": siret[:9]}
            }
        )
    return value


def _clean_identity(identifier_type: str, identifier: str, name: str) -> tuple[str, str]:
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
    return identifier, name


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

    As on the real portal, anyone may create the fiche of a valid SIRET not yet on the portal. So
    that a fiche taken by a stranger is noticed, the creator is recorded (``created_by``, and the
    creation event of the membership) and the contact address of the fiche, when there is one, is
    told who created it and how to reach support (who can transfer it: ``structure_transfer``).

    When a structure with this identifier already exists, nothing is created: the call becomes a
    demande de rattachement to that structure, and the pending membership is returned (the caller
    tells the user so; ``membership.status`` says which case happened).
    """
    identifier, name = _clean_identity(identifier_type, identifier, name)
    if "vat_number" in fields:
        fields["vat_number"] = vat_number_check(
            vat_number=fields["vat_number"], identifier_type=identifier_type, identifier=identifier
        )

    existing = Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).first()
    if existing is not None:
        return membership_request(user=user, structure=existing)

    structure = Structure(
        kind=kind, identifier_type=identifier_type, identifier=identifier, name=name, created_by=user, **fields
    )
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
    if structure.email:
        send_email(
            template="structure_created_contact",
            to=[structure.email],
            context={
                "structure": structure,
                "creator": user,
                "creator_name": display(user),
                "support_email": settings.SUPPORT_EMAIL,
            },
        )
    return membership


@transaction.atomic
def structure_register(*, actor, kind: str, identifier_type: str, identifier: str, name: str, **fields) -> Structure:
    """Support records a structure by hand (the admin's add page): no member, no request.

    Public structures normally come from the directory import, private ones from their users.
    """
    access.check_support(actor, _("Seul le support peut enregistrer une structure dans l'administration."))
    identifier, name = _clean_identity(identifier_type, identifier, name)
    if "vat_number" in fields:
        fields["vat_number"] = vat_number_check(
            vat_number=fields["vat_number"], identifier_type=identifier_type, identifier=identifier
        )
    unknown = set(fields) - STRUCTURE_SUPPORT_FIELDS
    if unknown:
        raise TypeError(f"structure_register: champs non modifiables {sorted(unknown)}")
    if Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).exists():
        raise ValidationError({"identifier": _("Une structure porte déjà cet identifiant.")})
    structure = Structure(kind=kind, identifier_type=identifier_type, identifier=identifier, name=name, **fields)
    structure.full_clean(validate_unique=False, validate_constraints=False)
    structure.save()
    return structure


@transaction.atomic
def structure_update(*, structure: Structure, actor, **fields) -> Structure:
    """Change the fiche structure (raison sociale, address, contact, VAT number); support may also
    change its state and, for a recipient, the directory's rules (``STRUCTURE_SUPPORT_FIELDS``)."""
    access.check_can_manage(actor, structure)
    if "vat_number" in fields:
        fields["vat_number"] = vat_number_check(
            vat_number=fields["vat_number"], identifier_type=structure.identifier_type, identifier=structure.identifier
        )
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    allowed = STRUCTURE_SUPPORT_FIELDS if access.is_support(actor) else STRUCTURE_EDITABLE_FIELDS
    changed = apply_fields(structure, fields, allowed, "structure_update")
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
