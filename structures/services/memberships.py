"""Writes on memberships: requests to join, their decisions, detachment, roles, notification choices."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.links import absolute_url
from structures import access
from structures.models import Membership, MembershipEvent, MembershipRole, MembershipStatus, Structure, StructureKind
from structures.services.common import (
    display,
    lock_membership,
    record_event,
    send_email,
)


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

    record_event(membership, MembershipEvent.Action.REQUESTED, user, message)
    activities_url = absolute_url(reverse("structures:activities"))
    for manager in access.main_manager_memberships(structure):
        send_email(
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
    membership = lock_membership(membership)
    access.check_can_manage(actor, membership.structure)
    if membership.status != MembershipStatus.PENDING:
        raise ValidationError(
            _("La demande de %(user)s n'est plus en attente : elle a déjà été traitée (%(status)s).")
            % {"user": display(membership.user), "status": membership.get_status_display().lower()}
        )
    comment = (comment or "").strip()
    membership.status = MembershipStatus.ACTIVE if approve else MembershipStatus.REFUSED
    membership.role = MembershipRole.USER
    membership.decided_by = actor
    membership.decided_at = timezone.now()
    membership.decision_comment = comment
    membership.save(update_fields=["status", "role", "decided_by", "decided_at", "decision_comment"])
    action = MembershipEvent.Action.APPROVED if approve else MembershipEvent.Action.REFUSED
    record_event(membership, action, actor, comment)
    send_email(
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
    membership = lock_membership(membership)
    if actor is None or actor.pk != membership.user_id:
        access.check_can_manage(actor, membership.structure)
    if not membership.is_active:
        raise ValidationError(_("%(user)s n'est pas rattaché à cette structure.") % {"user": display(membership.user)})
    if membership.role == MembershipRole.MAIN_MANAGER:
        # Lock every gestionnaire principal so two of them cannot detach each other at once.
        managers = list(
            access.main_manager_memberships(membership.structure_id)
            .select_for_update(of=("self",))
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
    record_event(membership, MembershipEvent.Action.REVOKED, actor)
    send_email(
        template="membership_revoked",
        to=[membership.user.notification_email],
        context={"membership": membership, "structure": membership.structure, "recipient": membership.user},
    )
    return membership


@transaction.atomic
def membership_set_main_manager(*, membership: Membership, actor) -> Membership:
    """Support staff name this active member gestionnaire principal; the previous one(s) become
    utilisateur."""
    access.check_support(actor, _("Seul le support peut désigner un gestionnaire principal."))
    membership = lock_membership(membership)
    if not membership.is_active:
        raise ValidationError(
            _("Seul un membre actif peut devenir gestionnaire principal ; %(user)s ne l'est pas.")
            % {"user": display(membership.user)}
        )
    previous = (
        access.main_manager_memberships(membership.structure_id)
        .select_for_update(of=("self",))
        .exclude(pk=membership.pk)
    )
    for other in previous:
        other.role = MembershipRole.USER
        other.save(update_fields=["role"])
        record_event(other, MembershipEvent.Action.ROLE_CHANGED, actor, _("Gestionnaire principal → utilisateur"))
    if membership.role != MembershipRole.MAIN_MANAGER:
        membership.role = MembershipRole.MAIN_MANAGER
        membership.save(update_fields=["role"])
        record_event(membership, MembershipEvent.Action.ROLE_CHANGED, actor, _("Utilisateur → gestionnaire principal"))
        send_email(
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


@transaction.atomic
def membership_set_notifications(*, membership: Membership, user, notify_invoice_events: bool, daily_digest: bool):
    """A member's own notification preferences for one structure (only theirs, only while active)."""
    membership = lock_membership(membership)
    if membership.user_id != user.pk or not membership.is_active:
        raise PermissionDenied(_("Ce rattachement n'est pas le vôtre ou n'est plus actif."))
    membership.notify_invoice_events = bool(notify_invoice_events)
    membership.daily_digest = bool(daily_digest)
    membership.save(update_fields=["notify_invoice_events", "daily_digest"])
    return membership
