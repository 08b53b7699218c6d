"""Support transfers a supplier structure: another user becomes its gestionnaire principal.

Anyone may create the fiche of a SIRET not yet on the portal (``structure_create``). When the
company says the fiche was taken by someone else, support names the right person gestionnaire
principal here, and the previous gestionnaire(s) either stay as utilisateur or are detached. Each
change writes a ``MembershipEvent`` (« Transfert de la structure par le support ») and both sides
are told by e-mail.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.links import absolute_url
from structures import access
from structures.models import Membership, MembershipEvent, MembershipRole, MembershipStatus, Structure, StructureKind
from structures.services.common import display, record_event, send_email

DEMOTE = "demote"  # the previous gestionnaire stays, as utilisateur
DETACH = "detach"  # the previous gestionnaire loses access to the structure
PREVIOUS_CHOICES = (DEMOTE, DETACH)


@transaction.atomic
def structure_transfer(*, actor, structure: Structure, user, previous: str = DEMOTE, comment: str = "") -> Membership:
    """Make ``user`` the gestionnaire principal of the private ``structure`` (support only); the
    other gestionnaire(s) principal(aux) become utilisateur (``DEMOTE``) or are detached
    (``DETACH``). Returns the new gestionnaire's membership."""
    access.check_support(actor, _("Seul le support peut transférer une structure."))
    if previous not in PREVIOUS_CHOICES:
        raise ValueError(f"structure_transfer: previous={previous!r}")
    structure = Structure.objects.select_for_update().get(pk=structure.pk)  # one transfer at a time
    if structure.kind != StructureKind.PRIVATE:
        raise ValidationError(
            _(
                "%(structure)s est un destinataire public : ses agents sont rattachés par le support, elle n'a "
                "pas de gestionnaire principal à transférer."
            )
            % {"structure": structure.name}
        )
    if not user.is_active:
        message = _("Le compte %(email)s est désactivé : réactivez-le avant de lui transférer la structure.")
        raise ValidationError({"user": message % {"email": user.email}})
    comment = (comment or "").strip()
    membership = Membership.objects.select_for_update(of=("self",)).filter(user=user, structure=structure).first()
    others = list(
        access.main_manager_memberships(structure).select_for_update(of=("self",)).exclude(user=user).order_by("pk")
    )
    if membership is not None and membership.is_main_manager and not others:
        raise ValidationError(
            {
                "user": _("%(user)s est déjà le seul gestionnaire principal de cette structure.")
                % {"user": display(user)}
            }
        )

    now = timezone.now()
    if membership is None:
        membership = Membership.objects.create(
            user=user,
            structure=structure,
            role=MembershipRole.MAIN_MANAGER,
            status=MembershipStatus.ACTIVE,
            decided_at=now,
            decided_by=actor,
            decision_comment=comment,
        )
    else:
        membership.role = MembershipRole.MAIN_MANAGER
        membership.status = MembershipStatus.ACTIVE
        membership.decided_at, membership.decided_by, membership.decision_comment = now, actor, comment
        membership.save(update_fields=["role", "status", "decided_at", "decided_by", "decision_comment"])
    record_event(
        membership, MembershipEvent.Action.TRANSFERRED, actor, _join(_("Devient gestionnaire principal"), comment)
    )

    for other in others:
        other.role = MembershipRole.USER
        if previous == DETACH:
            other.status = MembershipStatus.REVOKED
            change = _("Gestionnaire principal → détaché")
        else:
            change = _("Gestionnaire principal → utilisateur")
        other.save(update_fields=["role", "status"])
        record_event(other, MembershipEvent.Action.TRANSFERRED, actor, _join(change, comment))

    context = {"structure": structure, "support_email": settings.SUPPORT_EMAIL}
    send_email(
        template="structure_transferred_to",
        to=[user.notification_email],
        context={
            **context,
            "recipient": user,
            "previous_names": ", ".join(display(other.user) for other in others),
            "activities_url": absolute_url(reverse("structures:activities")),
        },
    )
    for other in others:
        send_email(
            template="structure_transferred_from",
            to=[other.user.notification_email],
            context={
                **context,
                "recipient": other.user,
                "new_manager_name": display(user),
                "detached": previous == DETACH,
            },
        )
    return membership


def _join(change: str, comment: str) -> str:
    return f"{change} — {comment}" if comment else change
