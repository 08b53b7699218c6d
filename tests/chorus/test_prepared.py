"""Prepared querysets (chorus/prepared.py): the same instances as the ORM, in one query."""

import datetime

import pytest
from django.db.models import Count

from chorus.prepared import PreparedQuery
from structures import selectors
from structures.models import Membership, Structure
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if key != "_state"}


def assert_same_instances(prepared, orm):
    assert [type(obj) for obj in prepared] == [type(obj) for obj in orm]
    assert [fields(obj) for obj in prepared] == [fields(obj) for obj in orm]
    for mine, django in zip(prepared, orm, strict=True):
        assert mine._state.db == django._state.db
        assert mine._state.adding is django._state.adding is False
        assert fields(mine.structure) == fields(django.structure)
        assert mine.structure._state.adding is False


def test_memberships_are_the_orm_ones_in_one_query(django_assert_num_queries):
    user = UserFactory()
    MembershipFactory(user=user, manager=True, structure=StructureFactory(name="Zèbre SARL"))
    MembershipFactory(user=user, structure=StructureFactory(name="Abeille SA", public=True))
    MembershipFactory(user=user, pending=True)
    MembershipFactory(user=UserFactory())
    orm = list(selectors.memberships_for_user(user))
    assert [m.structure.name for m in orm] == ["Abeille SA", "Zèbre SARL"]
    with django_assert_num_queries(1):
        prepared = selectors._MEMBERSHIPS_OF_USER.list(user.pk)
    assert_same_instances(prepared, orm)
    # Aware datetimes converted by the database backend, as the ORM gives them.
    assert isinstance(prepared[0].requested_at, datetime.datetime)
    assert prepared[0].requested_at.tzinfo is not None
    # The related structure is cached: reading it costs no query.
    with django_assert_num_queries(0):
        assert prepared[1].structure.is_public is False


def test_each_call_takes_its_own_values():
    first, second = UserFactory(), UserFactory()
    MembershipFactory(user=first, structure=StructureFactory(name="Première"))
    MembershipFactory(user=second, structure=StructureFactory(name="Seconde"))
    assert [m.structure.name for m in selectors._MEMBERSHIPS_OF_USER.list(first.pk)] == ["Première"]
    assert [m.structure.name for m in selectors._MEMBERSHIPS_OF_USER.list(second.pk)] == ["Seconde"]
    assert selectors._MEMBERSHIPS_OF_USER.list(UserFactory().pk) == []


def test_several_arguments():
    structure = StructureFactory()
    users = [UserFactory(), UserFactory()]
    for user in users:
        MembershipFactory(user=user, structure=structure)
    query = PreparedQuery(
        lambda structure_id, user_id: Membership.objects.filter(structure_id=structure_id, user_id=user_id)
    )
    found = query.list(structure.pk, users[1].pk)
    assert [m.user_id for m in found] == [users[1].pk]
    assert query.list(structure.pk + 1000, users[1].pk) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda user_id: Membership.objects.filter(user_id=user_id).values("id"),
        lambda user_id: Membership.objects.filter(user_id=user_id)[:5],
        lambda user_id: Membership.objects.filter(user_id=user_id).prefetch_related("structure"),
        lambda user_id: Structure.objects.annotate(n=Count("memberships")).filter(memberships__user_id=user_id),
        lambda user_id: Membership.objects.all(),
    ],
    ids=["values", "slice", "prefetch", "annotation", "argument-unused"],
)
def test_what_it_does_not_cover_is_refused(build):
    with pytest.raises(ValueError):
        PreparedQuery(build).list(1)
