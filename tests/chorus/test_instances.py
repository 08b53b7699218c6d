"""Instances built without ``Model.__init__`` (chorus/instances.py): the same instances as
Django's ``ModelIterable`` (values, state, related instances), Django's own ``from_db`` wherever
it could differ."""

import pytest
from django.db import connection
from django.db.models import F, Value
from django.db.models.query import ModelIterable
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from chorus import instances
from invoices.models import Invoice
from invoices.workflow import Status
from structures.models import Structure
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db
COLUMNS = ["id", "number", "amount_ttc", "status", "sent_at", "pdf", "supplier__name", "recipient__identifier"]


@pytest.fixture
def invoices():
    ministry = StructureFactory(public=True)
    service = ServiceFactory(structure=ministry)
    return [
        InvoiceFactory(sent=True, recipient=ministry, recipient_service=service, status=Status.MISE_A_DISPOSITION),
        InvoiceFactory(sent=True, recipient=ministry, recipient_service=None, status=Status.SUSPENDUE),
        InvoiceFactory(recipient=ministry),  # a draft: no identifier, no sending date
    ]


def state(obj, depth=0):
    """Everything an instance holds: its values, its state, its related instances (theirs too)."""
    if obj is None:
        return None
    values = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    related = {name: state(value, depth + 1) for name, value in obj._state.fields_cache.items()} if depth < 3 else {}
    return type(obj), values, obj._state.adding, obj._state.db, related


def both(queryset):
    fast = queryset.all()
    instances.built_fast(fast)
    assert fast._iterable_class is instances.InstancesIterable
    djangos = queryset.all()
    assert djangos._iterable_class is ModelIterable
    return list(fast), list(djangos)


QUERYSETS = [
    lambda: Invoice.objects.all(),
    lambda: Invoice.objects.select_related("supplier", "recipient", "recipient_service").only(
        *COLUMNS, "recipient_service__code"
    ),
    lambda: Invoice.objects.select_related("recipient_service__structure", "supplier"),  # nested
    lambda: Invoice.objects.defer("comment").annotate(doubled=F("amount_ttc") * 2, one=Value(1)),
    lambda: Structure.objects.filter(kind="PUBLIQUE").first().invoices_received.select_related("supplier"),
]


@pytest.mark.parametrize("make", QUERYSETS)
def test_the_same_instances_as_djangos(invoices, make):
    fast, djangos = both(make().order_by("pk"))
    assert len(fast) == len(djangos) >= 3
    assert [state(obj) for obj in fast] == [state(obj) for obj in djangos]


def test_related_and_deferred_fields_read_as_djangos(invoices):
    """What is read, and what a deferred field reads from the database, is Django's."""
    queryset = Invoice.objects.select_related("supplier", "recipient_service").only(*COLUMNS, "recipient_service__code")
    fast, djangos = both(queryset.order_by("pk"))

    def read(invoices):
        with CaptureQueriesContext(connection) as queries:
            values = [
                (i.supplier.name, i.recipient_service, i.pdf.name, str(i), str(i.supplier), i.comment) for i in invoices
            ]
        return values, [q["sql"] for q in queries]

    assert read(fast) == read(djangos)
    fast[1].number = "changé"
    fast[1].save(update_fields=["number"])
    assert Invoice.objects.get(pk=fast[1].pk).number == "changé"


def test_a_model_someone_listens_to_is_built_by_django(invoices, monkeypatch):
    built = []

    def listener(sender, instance, **kwargs):
        built.append(instance)

    post_init.connect(listener, sender=Structure)
    try:
        fast, djangos = both(Invoice.objects.select_related("supplier").order_by("pk"))
    finally:
        post_init.disconnect(listener, sender=Structure)
    assert len(built) == 2 * len(fast)  # each supplier built by Model.__init__, both times
    assert [state(obj) for obj in fast] == [state(obj) for obj in djangos]
    calls = []
    from_db = Invoice.from_db.__func__
    monkeypatch.setattr(Invoice, "from_db", classmethod(lambda cls, *a: calls.append(1) or from_db(cls, *a)))
    list(instances.built_fast(Invoice.objects.all()))  # a model with its own from_db
    assert len(calls) == len(invoices)


def test_values_and_read_querysets_are_left_alone(invoices):
    values = Invoice.objects.values("pk")
    assert instances.built_fast(values)._iterable_class is not instances.InstancesIterable
    read = Invoice.objects.all()
    list(read)
    assert instances.built_fast(read)._iterable_class is ModelIterable
