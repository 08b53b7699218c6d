"""Every access rule of the portal, as predicates and selectors: member, gestionnaire principal, support, agent.

Views, the admin, services and management commands of ``structures`` and ``invoices`` ask this
module; none of them writes a rule out again. The rules:

- **Active member** of a structure: the user has a ``Membership`` of it with the status ACTIF.
  A pending, refused or detached membership grants nothing. On a membership already loaded, the
  same rule is ``Membership.is_active``.
- **Gestionnaire principal** of a structure: an active membership with the role
  GESTIONNAIRE_PRINCIPAL (``Membership.is_main_manager`` on a loaded one). They decide the
  requests to join, detach members and keep the fiche, services and bank details of *their*
  structure.
- **Support**: an active superuser, or an active staff user (``is_staff``) holding the permission
  ``structures.support`` (« Support : gérer toutes les structures, leurs rattachements et leurs
  gestionnaires »), which the « Support » group gives (created by a data migration with the admin
  permissions support needs). Support manages every structure, names gestionnaires principaux and
  attaches ministry agents. Being staff is **not** enough: a ministry agent is staff, to open the
  admin, and manages no supplier.
- **May manage a structure** (``can_manage_structure``, ``check_can_manage``): its gestionnaire
  principal, or support.
- **Recipient staff** (a ministry agent): an active staff user with an active membership of a
  public structure (a recipient). They see and handle the invoices received by those structures
  only. Support attaches and detaches agents (``structures.services.recipient_staff_attach``).

Functions taking a structure accept the ``Structure`` or its id. Selectors return querysets usable
in ``__in`` filters, so a caller adds no query of its own.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from chorus.prepared import Shapes
from structures.models import Membership, MembershipRole, MembershipStatus, Structure

SUPPORT_PERMISSION = "structures.support"
SUPPORT_GROUP = "Support"


def _structure_id(structure) -> int | None:
    return structure.pk if isinstance(structure, Structure) else structure


def _is_authenticated(user) -> bool:
    return user is not None and user.is_authenticated


# --- Members ----------------------------------------------------------------------------------


def active_memberships(user) -> QuerySet[Membership]:
    """The user's active memberships (none for an anonymous user)."""
    if not _is_authenticated(user):
        return Membership.objects.none()
    return active_memberships_of_user_id(user.pk)


def active_memberships_of_user_id(user_id: int) -> QuerySet[Membership]:
    """The same rule from the user's id (for ``structures.selectors``' prepared query)."""
    return Membership.objects.filter(user_id=user_id, status=MembershipStatus.ACTIVE)


def is_active_member(user, structure) -> bool:
    structure_id = _structure_id(structure)
    if structure_id is None:
        return False
    return active_memberships(user).filter(structure_id=structure_id).exists()


def active_structure_ids(user) -> QuerySet:
    """Ids of the structures the user is an active member of (for ``structure_id__in=``)."""
    return active_memberships(user).values_list("structure_id", flat=True)


def member_structures(user) -> QuerySet[Structure]:
    return Structure.objects.filter(pk__in=active_structure_ids(user))


def active_members(structure) -> QuerySet[Membership]:
    """The active memberships of a structure (its members)."""
    return Membership.objects.filter(structure_id=_structure_id(structure), status=MembershipStatus.ACTIVE)


def active_members_of(structures) -> QuerySet[Membership]:
    """The active memberships of several structures at once (the same rule, one query)."""
    return Membership.objects.filter(
        structure_id__in=[_structure_id(s) for s in structures], status=MembershipStatus.ACTIVE
    )


# --- Gestionnaires principaux -----------------------------------------------------------------


def main_manager_memberships(structure) -> QuerySet[Membership]:
    """The active gestionnaire(s) principal(aux) of a structure, with their user."""
    return Membership.objects.filter(
        structure_id=_structure_id(structure), status=MembershipStatus.ACTIVE, role=MembershipRole.MAIN_MANAGER
    ).select_related("user")


def is_main_manager(user, structure) -> bool:
    if not _is_authenticated(user):
        return False
    return main_manager_memberships(structure).filter(user=user).exists()


def managed_structure_ids(user) -> QuerySet:
    """Ids of the structures the user is gestionnaire principal of."""
    return active_memberships(user).filter(role=MembershipRole.MAIN_MANAGER).values_list("structure_id", flat=True)


# --- Support ----------------------------------------------------------------------------------


def is_support(user, *, all_permissions: bool = True) -> bool:
    """An active superuser, or an active staff user with the ``structures.support`` permission.

    ``all_permissions=False`` is for a page that asks only this (the Accueil connecté of a ministry
    agent): the one permission is looked for by one query, ``LIMIT 1``, compiled once per process
    (the user's own or one of their groups', as ``ModelBackend`` reads them) instead of ``has_perm`` loading every permission of
    the user in two queries; when they are loaded already, ``has_perm`` is asked anyway."""
    if not _is_authenticated(user) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_staff:
        return False
    if all_permissions or hasattr(user, "_perm_cache"):
        return user.has_perm(SUPPORT_PERMISSION)
    return bool(_SUPPORT_PERMISSION.rows("support", _support_permission, [int(user.pk)]))


# The ``EXISTS`` of ``is_support``, compiled once per process (``chorus.prepared.Shapes``).
_SUPPORT_PERMISSION = Shapes()


def _support_permission(user_id: int):
    from django.contrib.auth.models import Permission

    app_label, codename = SUPPORT_PERMISSION.split(".")
    return (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .filter(Q(user=user_id) | Q(group__user=user_id))
        .order_by()
        .values_list("pk")[:1]
    )


def check_support(user, reason: str = "") -> None:
    """PermissionDenied with a French reason unless the user is support."""
    if not is_support(user):
        raise PermissionDenied(reason or _("Cette action est réservée au support."))


def can_manage_structure(user, structure) -> bool:
    """A gestionnaire principal of the structure, or support."""
    return is_support(user) or is_main_manager(user, structure)


def check_can_manage(user, structure) -> None:
    """PermissionDenied with a French reason unless the user may manage the structure."""
    if not _is_authenticated(user):
        raise PermissionDenied(_("Vous devez être connecté."))
    if not can_manage_structure(user, structure):
        raise PermissionDenied(_("Seul un gestionnaire principal de cette structure peut effectuer cette action."))


# --- Recipient staff (ministry agents) --------------------------------------------------------


def _is_active_staff(user) -> bool:
    return _is_authenticated(user) and user.is_active and user.is_staff


def recipient_structures_for_staff(user) -> QuerySet[Structure]:
    """Public structures (recipients) whose invoices the user handles: an active staff user's
    active memberships of public structures; none for anyone else."""
    if not _is_active_staff(user):
        return Structure.objects.none()
    return Structure.objects.public().filter(pk__in=active_structure_ids(user))


# The recipients of a staff user as rows, read on every page of the invoice admin: compiled once
# per process (``chorus.prepared.Shapes``).
_RECIPIENT_ROWS = Shapes()


def recipient_rows_for_staff(user) -> list[tuple[int, str, str]]:
    """``recipient_structures_for_staff(user)`` as ``(pk, name, identifier)`` ordered by name."""
    if not _is_active_staff(user):
        return []

    def build(user_id):
        ids = active_memberships_of_user_id(user_id).values_list("structure_id", flat=True)
        return (
            Structure.objects.public().filter(pk__in=ids).order_by("name", "pk").values_list("pk", "name", "identifier")
        )

    return _RECIPIENT_ROWS.rows("recipients-for-staff", build, [int(user.pk)])


def is_financial_staff(user, *, recipient_ids=None) -> bool:
    """May use the financial services' admin of invoices: an active staff user who is an agent of
    some recipient, or an active superuser (who sees every recipient's invoices).
    ``recipient_ids``: the ids of ``recipient_structures_for_staff(user)`` when already read."""
    if not _is_active_staff(user):
        return False
    if user.is_superuser:
        return True
    if recipient_ids is not None:
        return bool(recipient_ids)
    return recipient_structures_for_staff(user).exists()


def may_act_for_recipient(user, structure) -> bool:
    """May fire the recipient's transitions on an invoice addressed to ``structure``: an active
    member of it, or a superuser (the lifecycle's check, whatever door the action came through)."""
    if not _is_authenticated(user):
        return False
    return user.is_superuser or (_structure_id(structure) is not None and is_active_member(user, structure))


def is_recipient_staff(user, structure=None) -> bool:
    """Whether the user is an agent of a recipient (of this one when ``structure`` is given)."""
    recipients = recipient_structures_for_staff(user)
    structure_id = _structure_id(structure)
    if structure_id is not None:
        recipients = recipients.filter(pk=structure_id)
    return recipients.exists()
