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


# --- Statements by shape (Shapes) -------------------------------------------------------------


def test_shapes_run_each_call_with_its_own_values(django_assert_num_queries):
    from chorus.prepared import Shapes

    shapes = Shapes()
    first, second = StructureFactory(name="Alpha 100% bio"), StructureFactory(name="Alpha_centauri")
    since = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)

    def build(name, ids, after):
        return Structure.objects.filter(name__icontains=name, id__in=ids, created_at__gte=after).values_list(
            "name", flat=True
        )

    assert shapes.rows("s", build, ["alpha", [first.pk, second.pk], since]) == [
        (name,) for name in Structure.objects.filter(pk__in=[first.pk, second.pk]).values_list("name", flat=True)
    ]
    with django_assert_num_queries(1):
        # The same shape: no new compilation, and LIKE's wildcards in a value are matched literally.
        assert shapes.rows("s", build, ["100%", [first.pk, second.pk], since]) == [("Alpha 100% bio",)]
    assert shapes.rows("s", build, ["a_p", [first.pk, second.pk], since]) == []  # "_" is no wildcard
    assert shapes.rows("s", build, ["a_c", [first.pk, second.pk, 0], since]) == [
        ("Alpha_centauri",)
    ]  # a longer list: its own shape
    assert len(shapes._statements) == 2
    later = datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)
    assert shapes.rows("s", build, ["alpha", [first.pk], later]) == []
    assert (
        shapes.count(
            "s", lambda ids: Structure.objects.filter(id__in=ids).values_list("pk")[:1], [[first.pk, second.pk]]
        )
        == 1
    )


def test_shapes_refuse_a_value_that_does_not_reach_the_sql_as_it_is():
    from chorus.prepared import Shapes

    shapes = Shapes()
    with pytest.raises(ValueError, match="paramètre"):
        shapes.rows("s", lambda n: Structure.objects.filter(id__gt=n + 1).values_list("pk"), [3])
    with pytest.raises(TypeError):
        shapes.rows("s", lambda n: Structure.objects.filter(id__gt=n).values_list("pk"), [object()])


def test_shapes_are_forgotten_past_their_limit():
    from chorus.prepared import Shapes

    shapes = Shapes(limit=2)
    for n in range(3):
        shapes.rows(n, lambda pk: Structure.objects.filter(pk=pk).values_list("pk"), [1])
    assert len(shapes._statements) == 1


# --- Server-side prepared statements (PostgreSQL, outside a transaction) ------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_postgresql_prepares_each_statement_once_per_connection(requires_postgres):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chorus import prepared

    structure = StructureFactory(name="Préparée 50% _SA_")
    other = StructureFactory(name="Autre")
    query = PreparedQuery(lambda pk: Structure.objects.filter(pk=pk))
    shapes = prepared.Shapes()

    def build(name, pk):
        return Structure.objects.filter(name__icontains=name, pk__gte=pk).values_list("name", flat=True)

    connection.close()  # a new connection: nothing prepared on it yet

    def exact(name, pk):
        return Structure.objects.filter(name=name, pk__gte=pk, kind=structure.kind).values_list("name", flat=True)

    with CaptureQueriesContext(connection) as first:
        assert [s.name for s in query.list(structure.pk)] == [structure.name]
        assert shapes.rows("e", exact, [structure.name, structure.pk]) == [(structure.name,)]
        # A LIKE pattern among the values: never prepared (a plan without it cannot use an index).
        assert shapes.rows("s", build, ["50% _sa", structure.pk]) == [(structure.name,)]
    assert [q["sql"].split()[0] for q in first.captured_queries] == [
        "PREPARE",
        "EXECUTE",
        "PREPARE",
        "EXECUTE",
        "SELECT",
    ]
    # Only the values are parameters of the prepared statement; the kind (a constant) is written in.
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared_texts = [text for (text,) in cursor.fetchall()]
    assert any(f"= '{structure.kind}'" in text and "$2" in text and "$3" not in text for text in prepared_texts)
    with CaptureQueriesContext(connection) as again:
        assert [s.name for s in query.list(other.pk)] == ["Autre"]
        assert shapes.rows("e", exact, ["Autre", structure.pk]) == [("Autre",)]
        assert shapes.rows("s", build, ["AUTRE", structure.pk]) == [("Autre",)]
        assert shapes.rows("s", build, ["50%_sa", structure.pk]) == []  # wildcards matched literally
    assert [q["sql"].split()[0] for q in again.captured_queries] == ["EXECUTE", "EXECUTE", "SELECT", "SELECT"]
    # A connection opened again (restart, CONN_MAX_AGE) prepares again.
    connection.close()
    with CaptureQueriesContext(connection) as reopened:
        assert [s.name for s in query.list(structure.pk)] == [structure.name]
    assert [q["sql"].split()[0] for q in reopened.captured_queries] == ["PREPARE", "EXECUTE"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_connection_holds_a_bounded_number_of_prepared_statements(requires_postgres, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chorus import prepared

    monkeypatch.setattr(prepared, "SERVER_PREPARED_MAX", 2)
    structure = StructureFactory()
    shapes = prepared.Shapes()
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        for n in range(3):  # three statements (the LIMIT is part of the SQL)
            assert shapes.rows(
                n, lambda pk, n=n: Structure.objects.filter(pk=pk).values_list("pk")[: n + 1], [structure.pk]
            )
    assert [q["sql"].split()[0] for q in captured.captured_queries] == [
        "PREPARE",
        "EXECUTE",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "PREPARE",
        "EXECUTE",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_no_statement_is_prepared_inside_a_transaction_nor_when_disabled(requires_postgres, settings):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    structure = StructureFactory()
    query = PreparedQuery(lambda pk: Structure.objects.filter(pk=pk))
    connection.close()
    with transaction.atomic(), CaptureQueriesContext(connection) as inside:
        assert query.list(structure.pk)
    settings.DATABASE_SERVER_PREPARED = False
    with CaptureQueriesContext(connection) as disabled:
        assert query.list(structure.pk)
    for captured in (inside, disabled):
        assert [q["sql"].split()[0] for q in captured.captured_queries if q["sql"] != "BEGIN"] == ["SELECT"]


def test_shapes_rows_are_those_of_values_list_converted_by_the_backend():
    from chorus.prepared import Shapes

    StructureFactory(name="Datée")

    def build(name):
        return Structure.objects.filter(name=name).values_list("name", "created_at", "is_state", "pk")

    expected = list(build("Datée"))
    rows = Shapes().rows("s", build, ["Datée"])
    assert rows == expected and type(rows[0]) is tuple
    assert isinstance(rows[0][1], datetime.datetime) and rows[0][1].tzinfo is not None
