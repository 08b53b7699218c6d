"""Support attaches ministry agents (recipient staff) to their public structure, and detaches them.

An agent is an ordinary portal account with an active membership of a public structure and the
``is_staff`` flag, which opens the admin where they handle the invoices their structures receive
(rule in ``structures/access.py``). Only support does this, from the admin or with the operator
command ``manage.py attach_agent``; each change writes a ``MembershipEvent`` and e-mails the agent.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.links import absolute_url
from structures import access
from structures.models import Membership, MembershipEvent, MembershipRole, MembershipStatus, Structure
from structures.services.common import display, lock_membership, record_event, send_email


def _check_actor(actor, reason: str) -> None:
    # ``None`` is an operator at the shell (manage.py attach_agent): shell access is the authority.
    if actor is not None:
        access.check_support(actor, reason)


def _lock_user(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _check_public(structure: Structure) -> None:
    if not structure.is_public:
        raise ValidationError(
            {
                "structure": _(
                    "%(structure)s n'est pas une structure publique (destinataire) : seuls les agents des "
                    "destinataires y sont rattachés par le support."
                )
                % {"structure": structure}
            }
        )


def _email_context(membership: Membership, user) -> dict:
    return {
        "membership": membership,
        "structure": membership.structure,
        "recipient": user,
        "admin_url": absolute_url(reverse("admin:index")),
    }


@transaction.atomic
def recipient_staff_attach(*, actor, user, structure: Structure, comment: str = "") -> Membership:
    """Attach an agent to a public structure: an active membership (role utilisateur), and the
    account becomes staff so that the agent can open the admin.

    ``actor`` is a support user, or ``None`` for an operator's command. A former membership of the
    same structure (detached, refused, pending) is reused; an active one is refused.
    """
    _check_actor(actor, _("Seul le support peut rattacher un agent à une structure publique."))
    _check_public(structure)
    user = _lock_user(user)
    if not user.is_active:
        raise ValidationError(
            {
                "user": _("Le compte %(email)s est désactivé : réactivez-le avant de le rattacher.")
                % {"email": user.email}
            }
        )
    already = ValidationError(
        {
            "user": _("%(user)s est déjà rattaché à %(structure)s.")
            % {"user": display(user), "structure": structure.name}
        }
    )
    now = timezone.now()
    membership = Membership.objects.select_for_update(of=("self",)).filter(user=user, structure=structure).first()
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user,
                    structure=structure,
                    role=MembershipRole.USER,
                    status=MembershipStatus.ACTIVE,
                    decided_at=now,
                    decided_by=actor,
                )
        except IntegrityError:  # attached by someone else at the same moment
            raise already from None
    elif membership.is_active:
        raise already
    else:
        membership.status = MembershipStatus.ACTIVE
        membership.role = MembershipRole.USER
        membership.decided_at = now
        membership.decided_by = actor
        membership.decision_comment = ""
        membership.save(update_fields=["status", "role", "decided_at", "decided_by", "decision_comment"])
    record_event(membership, MembershipEvent.Action.ATTACHED, actor, comment)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    membership.user = user
    send_email(
        template="recipient_staff_attached", to=[user.notification_email], context=_email_context(membership, user)
    )
    return membership


@transaction.atomic
def recipient_staff_detach(
    *, actor, membership: Membership | None = None, user=None, structure: Structure | None = None, comment: str = ""
) -> Membership:
    """Detach an agent from a public structure (give the membership, or the user and structure).

    The account stops being staff unless it still is an agent of another recipient, or support, or
    a superuser. ``actor`` is a support user, or ``None`` for an operator's command.
    """
    _check_actor(actor, _("Seul le support peut détacher un agent d'une structure publique."))
    if membership is None:
        if user is None or structure is None:
            raise TypeError("recipient_staff_detach: membership, or user and structure")
        _check_public(structure)
        membership = Membership.objects.filter(user=user, structure=structure).first()
        if membership is None:
            raise ValidationError(
                {
                    "user": _("%(user)s n'est pas rattaché à %(structure)s.")
                    % {"user": display(user), "structure": structure.name}
                }
            )
    user = _lock_user(membership.user)
    membership = lock_membership(membership)
    _check_public(membership.structure)
    if not membership.is_active:
        raise ValidationError(
            {
                "user": _("%(user)s n'est pas rattaché à %(structure)s.")
                % {"user": display(user), "structure": membership.structure.name}
            }
        )
    membership.status = MembershipStatus.REVOKED
    membership.role = MembershipRole.USER
    membership.save(update_fields=["status", "role"])
    record_event(membership, MembershipEvent.Action.REVOKED, actor, comment)
    keeps_staff = user.is_superuser or access.is_support(user) or access.is_recipient_staff(user)
    if user.is_staff and not keeps_staff:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    membership.user = user
    send_email(
        template="recipient_staff_detached", to=[user.notification_email], context=_email_context(membership, user)
    )
    return membership
