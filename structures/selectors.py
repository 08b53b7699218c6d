"""Reads about structures that carry rules, above all access.

A user sees a structure only through an ACTIVE membership: ``structure_for_user`` is the one way a
view turns an id from a URL into a structure, so a pending, refused or detached member, or a
member of another structure, gets a 404. The rules themselves are in ``structures/access.py``;
these reads apply them.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from chorus.prepared import PreparedQuery, Shapes
from structures import access
from structures.models import Membership, MembershipStatus, Structure

SESSION_KEY = "structures.current_structure_id"
SEARCH_LIMIT = 20
SEARCH_MIN_DIGITS = 3
_CACHE_ATTR = "_structures_memberships"
_COUNT_CACHE_ATTR = "_structures_pending_count"
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")


def _by_structure_name(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    return memberships.select_related("structure").order_by("structure__name", "structure_id")


def memberships_for_user(user) -> QuerySet[Membership]:
    """The user's active memberships, with their structure, by structure name."""
    return _by_structure_name(access.active_memberships(user))


# The same read, compiled once per process: it runs on every page of a connected user, and its
# 43 columns cost several times more to compile than to run (chorus/prepared.py).
_MEMBERSHIPS_OF_USER = PreparedQuery(lambda user_id: _by_structure_name(access.active_memberships_of_user_id(user_id)))


def structure_for_user(*, user, structure_id) -> Structure:
    """The structure with this id if the user is an active member of it; 404 otherwise."""
    try:
        return access.member_structures(user).get(pk=structure_id)
    except (Structure.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def request_memberships(request) -> list[Membership]:
    """Active memberships of the request's user, read once per request."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        user = request.user
        cached = _MEMBERSHIPS_OF_USER.list(user.pk) if user.is_authenticated else []
        setattr(request, _CACHE_ATTR, cached)
    return cached


def forget_memberships(request) -> None:
    """Drop the per-request cache after a write changed the user's memberships."""
    for attr in (_CACHE_ATTR, _COUNT_CACHE_ATTR):
        if hasattr(request, attr):
            delattr(request, attr)


def current_membership(request) -> Membership | None:
    """The membership of the structure chosen in the session, else the first active one."""
    memberships = request_memberships(request)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.structure_id == chosen:
            return membership
    return memberships[0]


def current_structure(request) -> Structure | None:
    membership = current_membership(request)
    return membership.structure if membership else None


def pending_requests_of_structure(structure: Structure) -> QuerySet[Membership]:
    """Pending demandes de rattachement to one structure, oldest first, with their requester."""
    return (
        Membership.objects.filter(structure=structure, status=MembershipStatus.PENDING)
        .select_related("user")
        .order_by("requested_at", "id")
    )


def pending_requests_for_manager(user) -> QuerySet[Membership]:
    """Pending demandes de rattachement to the structures the user is gestionnaire principal of."""
    return (
        Membership.objects.filter(status=MembershipStatus.PENDING, structure_id__in=access.managed_structure_ids(user))
        .select_related("user", "structure")
        .order_by("requested_at", "id")
    )


# Counts compiled once per process and shape (``chorus.prepared.Shapes``).
_COUNTS = Shapes()


def _pending_requests(structure_ids: list[int]) -> QuerySet[Membership]:
    return Membership.objects.filter(status=MembershipStatus.PENDING, structure_id__in=structure_ids).values_list("pk")


def pending_requests_count(request) -> int:
    """How many requests await the user, from the memberships already read (one COUNT query)."""
    cached = getattr(request, _COUNT_CACHE_ATTR, None)
    if cached is None:
        managed = [m.structure_id for m in request_memberships(request) if m.is_main_manager]
        cached = (
            _COUNTS.count(("pending", len(managed)), _pending_requests, [[int(pk) for pk in managed]]) if managed else 0
        )
        setattr(request, _COUNT_CACHE_ATTR, cached)
    return cached


def requests_of_user(user) -> QuerySet[Membership]:
    """The user's own requests that are not active (pending or refused), for "Ma structure"."""
    return (
        Membership.objects.filter(user=user, status__in=[MembershipStatus.PENDING, MembershipStatus.REFUSED])
        .select_related("structure")
        .order_by("-requested_at")
    )


def structure_search(query: str) -> QuerySet[Structure]:
    """Private, active structures for an attachment request.

    A query made of digits (spaces ignored) of at least 3 digits is a SIRET prefix; anything else
    is an exact raison sociale, case-insensitive. At most ``SEARCH_LIMIT`` results.
    """
    query = (query or "").strip()
    compact = _SPACES.sub("", query)
    structures = Structure.objects.private().active()
    if _DIGITS.fullmatch(compact):
        if len(compact) < SEARCH_MIN_DIGITS:
            return Structure.objects.none()
        structures = structures.filter(identifier__startswith=compact)
    elif query:
        structures = structures.filter(name__iexact=_SPACES.sub(" ", query))
    else:
        return Structure.objects.none()
    return structures.order_by("name", "identifier")[:SEARCH_LIMIT]


def members_of_structure(structure: Structure) -> QuerySet[Membership]:
    return (
        access.active_members(structure).select_related("user").order_by("role", "user__last_name", "user__first_name")
    )


def is_current_manager(request) -> bool:
    """Whether the user is gestionnaire principal of the current structure (for the navigation)."""
    membership = current_membership(request)
    return bool(membership and membership.is_main_manager)


def is_not_current_recipient(request) -> bool:
    """Whether the current structure is not a public recipient (for the navigation: a ministry
    agent is offered no supplier page such as "Factures émises")."""
    structure = current_structure(request)
    return structure is None or not structure.is_public


def user_by_email(email: str):
    """The account whose login e-mail is this one (any case), or None."""
    email = (email or "").strip()
    if not email:
        return None
    return get_user_model().objects.filter(email__iexact=email).first()
