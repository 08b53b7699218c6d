"""Reads that carry access rules: active memberships only, current structure, search."""

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import Http404

from structures import selectors
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_siret

pytestmark = pytest.mark.django_db


def request_for(rf, user, **session):
    request = rf.get("/")
    request.user = user
    request.session = SessionStore()
    request.session.update(session)
    return request


@pytest.mark.parametrize("trait", ["pending", "refused", "revoked"])
def test_structure_for_user_needs_an_active_membership(trait):
    membership = MembershipFactory(**{trait: True})
    with pytest.raises(Http404):
        selectors.structure_for_user(user=membership.user, structure_id=membership.structure_id)
    assert list(selectors.memberships_for_user(membership.user)) == []


def test_structure_for_user_and_memberships():
    membership = MembershipFactory()
    assert (
        selectors.structure_for_user(user=membership.user, structure_id=membership.structure_id) == membership.structure
    )
    with pytest.raises(Http404):
        selectors.structure_for_user(user=UserFactory(), structure_id=membership.structure_id)
    with pytest.raises(Http404):
        selectors.structure_for_user(user=membership.user, structure_id="abc")
    assert list(selectors.memberships_for_user(membership.user)) == [membership]


def test_current_structure_from_session_else_first(rf):
    user = UserFactory()
    b = MembershipFactory(user=user, structure=StructureFactory(name="B")).structure
    a = MembershipFactory(user=user, structure=StructureFactory(name="A")).structure
    pending = MembershipFactory(user=user, structure=StructureFactory(name="0"), pending=True).structure
    assert selectors.current_structure(request_for(rf, user)) == a
    assert selectors.current_structure(request_for(rf, user, **{selectors.SESSION_KEY: b.pk})) == b
    # a structure that is not an active membership in the session falls back to the first
    assert selectors.current_structure(request_for(rf, user, **{selectors.SESSION_KEY: pending.pk})) == a
    assert selectors.current_structure(request_for(rf, UserFactory())) is None


def test_pending_requests_for_manager():
    manager = MembershipFactory(manager=True)
    mine = MembershipFactory(structure=manager.structure, pending=True)
    MembershipFactory(structure=manager.structure, refused=True)
    MembershipFactory(pending=True)
    plain = MembershipFactory(structure=manager.structure)
    assert list(selectors.pending_requests_for_manager(manager.user)) == [mine]
    assert list(selectors.pending_requests_for_manager(plain.user)) == []


def test_search_limits_and_filters():
    for n in range(selectors.SEARCH_LIMIT + 5):
        StructureFactory(identifier=f"999{n:011d}")
    StructureFactory(identifier="99900000000999", inactive=True, name="Fermée")
    results = list(selectors.structure_search("999"))
    assert len(results) == selectors.SEARCH_LIMIT
    assert "Fermée" not in [s.name for s in results]
    assert list(selectors.structure_search("99")) == []
    assert list(selectors.structure_search("")) == []
    target = StructureFactory(identifier=make_siret(7), name="Société Générale des Eaux")
    assert list(selectors.structure_search("Société Générale")) == []  # exact name only
    # case (ASCII letters here: SQLite's LIKE folds only those) and extra spaces do not matter
    assert list(selectors.structure_search("  SOCIété Générale   des EAUX ")) == [target]
