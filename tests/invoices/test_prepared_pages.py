"""The reads of the Synthèse, the Accueil connecté, the Liste fiscale and the invoice page prepared
by shape (their SQL compiled once per process, run with the request's values): the same rows as
the ORM's querysets they replace, on SQLite and on PostgreSQL, and another structure's invoices
never among them."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoices import figures
from invoices.models import Invoice
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return StructureFactory(name="Mon Entreprise")


@pytest.fixture
def other():
    return StructureFactory(name="Autre Entreprise")


def _sent(supplier, *, days_ago: int, status=Status.MISE_A_DISPOSITION, **kwargs):
    today = timezone.localdate()
    invoice = InvoiceFactory(
        supplier=supplier, sent=True, status=status, invoice_date=today - timedelta(days=days_ago), **kwargs
    )
    at = timezone.now() - timedelta(days=days_ago, minutes=invoice.pk)
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=at)
    return invoice


def _spread(supplier):
    today = timezone.localdate()
    for _ in range(7):
        InvoiceFactory(supplier=supplier)
    for n, status in enumerate([Status.SUSPENDUE, Status.REJETEE, Status.A_RECYCLER] * 3):
        _sent(supplier, days_ago=n, status=status)
    _sent(supplier, days_ago=2, status=Status.REJETEE, rejection_acknowledged_at=timezone.now())
    for n in range(4):
        _sent(
            supplier,
            days_ago=40 + n,
            payment_started_on=today - timedelta(days=40 + n),
            payment_due_on=today - timedelta(days=10 + n),
            amount_ttc=Decimal("120.00"),
        )
    _sent(supplier, days_ago=1, payment_started_on=today, payment_due_on=today + timedelta(days=30))


def _orm_summary(supplier, today):
    """The Synthèse's reads as the ORM made them before they were prepared."""
    drafts = Invoice.objects.filter(supplier=supplier, status=Status.BROUILLON)
    todo = figures.todo_invoices(supplier)
    drafts_count, late, *todo_counts = figures.capped_counts(
        [drafts, figures.late_invoices(supplier, today=today), *(todo.filter(status=s) for s in figures.TODO_STATUSES)]
    )
    by_status = [(Status(s), n) for s, n in zip(figures.TODO_STATUSES, todo_counts, strict=True)]
    return figures.Summary(
        drafts=drafts_count,
        latest_drafts=figures.listed(drafts.order_by("-created_at", "-id")[: figures.SUMMARY_ROWS]),
        recent=figures.listed(
            Invoice.objects.filter(supplier=supplier, sent_at__isnull=False).order_by("-sent_at")[
                : figures.SUMMARY_ROWS * 2
            ]
        ),
        todo_by_status=[(s, n) for s, n in by_status if n],
        todo=figures.listed(todo.order_by("-created_at", "-id")[: figures.SUMMARY_ROWS]),
        late=late,
    )


@pytest.mark.parametrize("days", [0, 12, 100])
def test_the_summary_is_the_orms(supplier, other, days):
    _spread(supplier)
    _spread(other)
    today = timezone.localdate() - timedelta(days=days)
    prepared = figures.summary(supplier, today=today)
    assert prepared == _orm_summary(supplier, today)
    assert prepared.latest_drafts and prepared.recent and prepared.todo
    assert all(i.supplier_id == supplier.pk for i in prepared.latest_drafts + prepared.recent + prepared.todo)
    # Another structure, the same compiled statements: its own rows only.
    assert figures.summary(other, today=today) == _orm_summary(other, today)


def test_an_empty_supplier_has_an_empty_summary(supplier, other):
    _spread(other)
    today = timezone.localdate()
    assert figures.summary(supplier, today=today) == _orm_summary(supplier, today)
    assert figures.summary(supplier, today=today).latest_drafts == []


def test_prepared_capped_counts_are_capped_like_capped_counts(supplier):
    _spread(supplier)
    today = timezone.localdate()
    build = lambda supplier_id, day: [  # noqa: E731
        Invoice.objects.filter(supplier=supplier_id),
        figures.late_invoices(supplier_id, today=day),
        Invoice.objects.filter(pk__in=[]),
    ]
    for cap in (1, 3, 1000):
        assert figures.prepared_capped_counts("test", build, [supplier.pk, today], cap=cap) == figures.capped_counts(
            build(supplier.pk, today), cap=cap
        )
    assert figures.prepared_capped_counts("test", build, [supplier.pk, datetime.now().date()])[
        2
    ] == figures.CappedCount(0, False)
