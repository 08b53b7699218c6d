"""Writes about structures that matter: creation, attachment requests and their decisions,
detachment, roles, services, bank details and the billing mandate.

Views, forms, the admin and management commands all call these functions, so the checks, the
history (``MembershipEvent``) and the e-mails happen once. Every function is keyword-only and
runs in a transaction; decisions on a request lock the membership row so that two gestionnaires
deciding the same request at the same time cannot both win. E-mails are rendered here and handed
to ``accounts.services.email_enqueue``, which sends them once the transaction commits.

Errors a user can fix are ``ValidationError`` with a French message (a dict keyed by field name
when one field is at fault); acting on a structure one does not manage is ``PermissionDenied``.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import email_enqueue, user_accept_cgu
from chorus.links import absolute_url
from structures.models import (
    ADDRESS_AND_CONTACT_FIELDS,
    BankAccount,
    IdentifierType,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Service,
    Structure,
    StructureKind,
)
from structures.validators import (
    normalize_bic,
    normalize_iban,
    normalize_siret,
    normalize_vat_number,
    validate_bic,
    validate_iban,
    validate_siret,
    validate_vat_number,
)

# Fields of a structure its gestionnaire (or staff) may change through ``structure_update``.
STRUCTURE_EDITABLE_FIELDS = frozenset({"name", "vat_number", *ADDRESS_AND_CONTACT_FIELDS})
SERVICE_EDITABLE_FIELDS = frozenset({"code", "name", "is_active", *ADDRESS_AND_CONTACT_FIELDS})
BANK_ACCOUNT_EDITABLE_FIELDS = frozenset({"label", "iban", "bic", "is_active"})


# --- Helpers ----------------------------------------------------------------------------------


def _send_email(*, template: str, to: list[str], context: dict) -> None:
    """Render ``emails/structures/<template>_subject.txt`` and ``_message.txt`` and enqueue them."""
    if not to:
        return
    context = {"portal_url": absolute_url("/"), **context}
    subject = render_to_string(f"emails/structures/{template}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    body = render_to_string(f"emails/structures/{template}_message.txt", context)
    email_enqueue(message=EmailMessage(subject=subject, body=body, to=to))


def _display(user) -> str:
    return user.get_full_name() or user.email


def _main_managers(structure: Structure):
    return Membership.objects.filter(
        structure=structure, status=MembershipStatus.ACTIVE, role=MembershipRole.MAIN_MANAGER
    ).select_related("user")


def _is_main_manager(user, structure: Structure) -> bool:
    return _main_managers(structure).filter(user=user).exists()


def _check_can_manage(actor, structure: Structure) -> None:
    """Only a gestionnaire principal of the structure, or support staff, manages it."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Vous devez être connecté."))
    if actor.is_staff or _is_main_manager(actor, structure):
        return
    raise PermissionDenied(_("Seul un gestionnaire principal de cette structure peut effectuer cette action."))


def _lock_membership(membership: Membership) -> Membership:
    """Re-read the membership under a row lock (the caller's copy may be stale)."""
    return Membership.objects.select_for_update(of=("self",)).select_related("user", "structure").get(pk=membership.pk)


def _event(membership: Membership, action: str, actor, comment: str = "") -> MembershipEvent:
    return MembershipEvent.objects.create(membership=membership, action=action, actor=actor, comment=comment)


def _apply_fields(instance, fields: dict, allowed: frozenset, what: str) -> list[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{what}: champs non modifiables {sorted(unknown)}")
    # Every given field is written, changed or not: a ModelForm may already have set them on
    # the instance it was given.
    for name, value in fields.items():
        setattr(instance, name, value)
    return list(fields)


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
    _event(membership, MembershipEvent.Action.CREATED_STRUCTURE, user)
    return membership


@transaction.atomic
def structure_update(*, structure: Structure, actor, **fields) -> Structure:
    """Change the fiche structure (raison sociale, address, contact, VAT number)."""
    _check_can_manage(actor, structure)
    if "vat_number" in fields:
        fields["vat_number"] = _clean_vat(fields["vat_number"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changed = _apply_fields(structure, fields, STRUCTURE_EDITABLE_FIELDS, "structure_update")
    if changed:
        structure.full_clean(validate_unique=False, validate_constraints=False)
        structure.save(update_fields=[*changed, "updated_at"])
    return structure


@transaction.atomic
def structure_accept_mandate(*, structure: Structure, user) -> Structure:
    """Record the acceptance of the mandat de facturation (first time only: who and when).

    The user's own CGU acceptance is recorded too when it is missing.
    """
    if not (
        user.is_staff
        or Membership.objects.filter(user=user, structure=structure, status=MembershipStatus.ACTIVE).exists()
    ):
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


# --- Memberships ------------------------------------------------------------------------------


@transaction.atomic
def membership_request(*, user, structure: Structure, message: str = "") -> Membership:
    """Ask to join a private structure; its gestionnaire(s) principal(aux) are told by e-mail.

    A user who was detached may ask again (the same row is reused); a refused user may not: they
    must contact the gestionnaire.
    """
    if structure.kind != StructureKind.PRIVATE:
        raise ValidationError(
            _(
                "Cette structure est un destinataire public : les fournisseurs ne peuvent se rattacher "
                "qu'à une structure privée."
            )
        )
    if not structure.is_active:
        raise ValidationError(_("Cette structure n'est plus active : il n'est pas possible de s'y rattacher."))
    message = (message or "").strip()

    membership = Membership.objects.select_for_update(of=("self",)).filter(user=user, structure=structure).first()
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user,
                    structure=structure,
                    role=MembershipRole.USER,
                    status=MembershipStatus.PENDING,
                    message=message,
                )
        except IntegrityError:
            # The same user asked twice at the same moment (double click).
            raise ValidationError(
                _("Une demande de rattachement à cette structure est déjà en attente de validation.")
            ) from None
    elif membership.status == MembershipStatus.ACTIVE:
        raise ValidationError(_("Vous êtes déjà rattaché à cette structure."))
    elif membership.status == MembershipStatus.PENDING:
        raise ValidationError(_("Une demande de rattachement à cette structure est déjà en attente de validation."))
    elif membership.status == MembershipStatus.REFUSED:
        raise ValidationError(
            _(
                "Votre demande de rattachement à cette structure a été refusée. Pour une nouvelle demande, "
                "contactez directement son gestionnaire principal."
            )
        )
    else:  # REVOKED: a former member may ask again; the row is reused.
        membership.status = MembershipStatus.PENDING
        membership.role = MembershipRole.USER
        membership.message = message
        membership.requested_at = timezone.now()
        membership.decided_at = None
        membership.decided_by = None
        membership.decision_comment = ""
        membership.save()

    _event(membership, MembershipEvent.Action.REQUESTED, user, message)
    activities_url = absolute_url(reverse("structures:activities"))
    for manager in _main_managers(structure):
        _send_email(
            template="membership_requested",
            to=[manager.user.notification_email],
            context={
                "membership": membership,
                "structure": structure,
                "recipient": manager.user,
                "requester": user,
                "activities_url": activities_url,
            },
        )
    return membership


def _decide(*, membership: Membership, actor, comment: str, approve: bool) -> Membership:
    membership = _lock_membership(membership)
    _check_can_manage(actor, membership.structure)
    if membership.status != MembershipStatus.PENDING:
        raise ValidationError(
            _("La demande de %(user)s n'est plus en attente : elle a déjà été traitée (%(status)s).")
            % {"user": _display(membership.user), "status": membership.get_status_display().lower()}
        )
    comment = (comment or "").strip()
    membership.status = MembershipStatus.ACTIVE if approve else MembershipStatus.REFUSED
    membership.role = MembershipRole.USER
    membership.decided_by = actor
    membership.decided_at = timezone.now()
    membership.decision_comment = comment
    membership.save(update_fields=["status", "role", "decided_by", "decided_at", "decision_comment"])
    action = MembershipEvent.Action.APPROVED if approve else MembershipEvent.Action.REFUSED
    _event(membership, action, actor, comment)
    _send_email(
        template="membership_approved" if approve else "membership_refused",
        to=[membership.user.notification_email],
        context={
            "membership": membership,
            "structure": membership.structure,
            "recipient": membership.user,
            "comment": comment,
            "home_url": absolute_url(reverse("structures:home")),
        },
    )
    return membership


@transaction.atomic
def membership_approve(*, membership: Membership, actor, comment: str = "") -> Membership:
    """Validate a pending demande de rattachement; the requester becomes utilisateur."""
    return _decide(membership=membership, actor=actor, comment=comment, approve=True)


@transaction.atomic
def membership_refuse(*, membership: Membership, actor, comment: str = "") -> Membership:
    """Refuse a pending demande de rattachement; the requester may not ask again by themselves."""
    return _decide(membership=membership, actor=actor, comment=comment, approve=False)


@transaction.atomic
def membership_revoke(*, membership: Membership, actor) -> Membership:
    """Detach an active member (by a gestionnaire principal or staff, or the member leaving).

    The last gestionnaire principal of a structure cannot be detached: support staff must first
    name another one (``membership_set_main_manager``).
    """
    membership = _lock_membership(membership)
    if actor is None or actor.pk != membership.user_id:
        _check_can_manage(actor, membership.structure)
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("%(user)s n'est pas rattaché à cette structure.") % {"user": _display(membership.user)})
    if membership.role == MembershipRole.MAIN_MANAGER:
        # Lock every gestionnaire principal so two of them cannot detach each other at once.
        managers = list(
            Membership.objects.select_for_update()
            .filter(
                structure_id=membership.structure_id, status=MembershipStatus.ACTIVE, role=MembershipRole.MAIN_MANAGER
            )
            .values_list("pk", flat=True)
        )
        if set(managers) <= {membership.pk}:
            raise ValidationError(
                _(
                    "Impossible de détacher le dernier gestionnaire principal de la structure. "
                    "Contactez le support pour désigner un autre gestionnaire principal."
                )
            )
    membership.status = MembershipStatus.REVOKED
    membership.role = MembershipRole.USER
    membership.save(update_fields=["status", "role"])
    _event(membership, MembershipEvent.Action.REVOKED, actor)
    _send_email(
        template="membership_revoked",
        to=[membership.user.notification_email],
        context={"membership": membership, "structure": membership.structure, "recipient": membership.user},
    )
    return membership


@transaction.atomic
def membership_set_main_manager(*, membership: Membership, actor) -> Membership:
    """Support staff name this active member gestionnaire principal; the previous one(s) become
    utilisateur."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied(_("Seul le support peut désigner un gestionnaire principal."))
    membership = _lock_membership(membership)
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(
            _("Seul un membre actif peut devenir gestionnaire principal ; %(user)s ne l'est pas.")
            % {"user": _display(membership.user)}
        )
    previous = (
        Membership.objects.select_for_update()
        .filter(structure_id=membership.structure_id, status=MembershipStatus.ACTIVE, role=MembershipRole.MAIN_MANAGER)
        .exclude(pk=membership.pk)
    )
    for other in previous:
        other.role = MembershipRole.USER
        other.save(update_fields=["role"])
        _event(other, MembershipEvent.Action.ROLE_CHANGED, actor, _("Gestionnaire principal → utilisateur"))
    if membership.role != MembershipRole.MAIN_MANAGER:
        membership.role = MembershipRole.MAIN_MANAGER
        membership.save(update_fields=["role"])
        _event(membership, MembershipEvent.Action.ROLE_CHANGED, actor, _("Utilisateur → gestionnaire principal"))
        _send_email(
            template="membership_main_manager",
            to=[membership.user.notification_email],
            context={
                "membership": membership,
                "structure": membership.structure,
                "recipient": membership.user,
                "activities_url": absolute_url(reverse("structures:activities")),
            },
        )
    return membership


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
    _check_can_manage(actor, structure)
    code = _clean_service_code(structure, code)
    service = Service(structure=structure, code=code, name=(name or "").strip())
    _apply_fields(service, fields, SERVICE_EDITABLE_FIELDS, "service_create")
    service.full_clean(validate_unique=False, validate_constraints=False)
    service.save()
    return service


@transaction.atomic
def service_update(*, service: Service, actor, **fields) -> Service:
    _check_can_manage(actor, service.structure)
    if "code" in fields:
        fields["code"] = _clean_service_code(service.structure, fields["code"], exclude_pk=service.pk)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changed = _apply_fields(service, fields, SERVICE_EDITABLE_FIELDS, "service_update")
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
    _check_can_manage(actor, structure)
    if structure.kind != StructureKind.PRIVATE:
        raise ValidationError(_("Seule une structure privée (fournisseur) enregistre des coordonnées bancaires."))
    fields = _clean_bank_fields(structure, {"label": label, "iban": iban, "bic": bic})
    return BankAccount.objects.create(structure=structure, **fields)


@transaction.atomic
def bank_account_update(*, bank_account: BankAccount, actor, **fields) -> BankAccount:
    _check_can_manage(actor, bank_account.structure)
    unknown = set(fields) - BANK_ACCOUNT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"bank_account_update: champs non modifiables {sorted(unknown)}")
    fields = _clean_bank_fields(bank_account.structure, fields, exclude_pk=bank_account.pk)
    changed = _apply_fields(bank_account, fields, BANK_ACCOUNT_EDITABLE_FIELDS, "bank_account_update")
    if changed:
        bank_account.save(update_fields=[*changed, "updated_at"])
    return bank_account


def bank_account_deactivate(*, bank_account: BankAccount, actor) -> BankAccount:
    """Stop offering these bank details for new invoices (past invoices keep theirs)."""
    return bank_account_update(bank_account=bank_account, actor=actor, is_active=False)


@transaction.atomic
def membership_set_notifications(*, membership: Membership, user, notify_invoice_events: bool, daily_digest: bool):
    """A member's own notification preferences for one structure (only theirs, only while active)."""
    membership = _lock_membership(membership)
    if membership.user_id != user.pk or membership.status != MembershipStatus.ACTIVE:
        raise PermissionDenied(_("Ce rattachement n'est pas le vôtre ou n'est plus actif."))
    membership.notify_invoice_events = bool(notify_invoice_events)
    membership.daily_digest = bool(daily_digest)
    membership.save(update_fields=["notify_invoice_events", "daily_digest"])
    return membership
