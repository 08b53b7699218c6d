"""The figures' selectors: Synthèse counts, dashboard aggregations, fiscal totals, late invoices;
another structure's invoices are never counted."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoices import figures
from invoices.models import Invoice, InvoiceVatLine, LatePaymentRate
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


def sent(supplier, *, on: date, status=Status.MISE_A_DISPOSITION, ttc="1200.00", recipient=None, **kwargs):
    ttc = Decimal(ttc)
    ht = (ttc / Decimal("1.2")).quantize(Decimal("0.01"))
    invoice = InvoiceFactory(
        supplier=supplier,
        sent=True,
        status=status,
        invoice_date=on,
        amount_ht=ht,
        amount_tva=ttc - ht,
        amount_ttc=ttc,
        **({"recipient": recipient} if recipient else {}),
        **kwargs,
    )
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.make_aware(datetime.combine(on, datetime.min.time())))
    return invoice


def test_capped_count():
    supplier = StructureFactory()
    for _ in range(3):
        InvoiceFactory(supplier=supplier)
    drafts = Invoice.objects.filter(supplier=supplier)
    assert figures.capped_count(drafts, cap=5) == figures.CappedCount(3, False)
    assert figures.capped_count(drafts, cap=2) == figures.CappedCount(2, True)


def test_capped_counts_are_those_of_capped_count_in_one_query(django_assert_num_queries):
    supplier, other = StructureFactory(), StructureFactory()
    for _ in range(3):
        InvoiceFactory(supplier=supplier)
    InvoiceFactory(supplier=other)
    sent(supplier, on=date(2026, 10, 1), status=Status.SUSPENDUE)
    querysets = [
        Invoice.objects.filter(supplier=supplier, status=Status.BROUILLON),
        Invoice.objects.filter(supplier=supplier, status=Status.SUSPENDUE).order_by("-created_at"),
        Invoice.objects.filter(supplier=supplier, status=Status.REJETEE),
        Invoice.objects.filter(supplier=other),
        Invoice.objects.filter(pk__in=[]),
    ]
    for cap in (1, 2, 3, 5):
        with django_assert_num_queries(1):
            counts = figures.capped_counts(querysets, cap=cap)
        assert counts == [figures.capped_count(q, cap=cap) for q in querysets]
    assert figures.capped_counts(querysets[:1], cap=2) == [figures.CappedCount(2, True)]
    assert figures.capped_counts([]) == []


def test_the_rates_are_read_at_the_first_late_clock_only(django_assert_num_queries):
    LatePaymentRate.objects.create(valid_from=date(2026, 1, 1), ecb_rate=Decimal("2.15"))
    LatePaymentRate.objects.create(valid_from=date(2026, 7, 1), ecb_rate=Decimal("2.00"))
    with django_assert_num_queries(0):
        rate_on = figures.ecb_rates()
    with django_assert_num_queries(1):
        assert rate_on(date(2026, 3, 1)) == (Decimal("2.15"), date(2026, 1, 1))
    with django_assert_num_queries(0):
        assert rate_on(date(2026, 8, 1)) == (Decimal("2.00"), date(2026, 7, 1))
        assert rate_on(date(2025, 8, 1)) is None


def test_summary_counts_drafts_todo_and_late_of_the_supplier_only(supplier, other):
    today = timezone.localdate()
    InvoiceFactory(supplier=supplier)
    InvoiceFactory(supplier=supplier)
    sent(supplier, on=today, status=Status.SUSPENDUE)
    sent(supplier, on=today, status=Status.REJETEE)
    sent(supplier, on=today, status=Status.REJETEE, rejection_acknowledged_at=timezone.now())
    sent(supplier, on=today, status=Status.A_RECYCLER)
    sent(supplier, on=today, payment_due_on=today - timedelta(days=3), payment_started_on=today - timedelta(days=33))
    for status in (Status.SUSPENDUE, Status.A_RECYCLER, Status.BROUILLON):
        InvoiceFactory(supplier=other, sent=status != Status.BROUILLON, status=status)
    sent(other, on=today, payment_due_on=today - timedelta(days=3), payment_started_on=today - timedelta(days=33))

    summary = figures.summary(supplier)
    assert summary.drafts == figures.CappedCount(2, False)
    assert dict(summary.todo_by_status) == {
        Status.A_RECYCLER: figures.CappedCount(1, False),
        Status.REJETEE: figures.CappedCount(1, False),  # the acknowledged rejection is done
        Status.SUSPENDUE: figures.CappedCount(1, False),
    }
    assert summary.todo_total.value == 3 and len(summary.todo) == 3
    assert summary.late == figures.CappedCount(1, False)
    assert all(i.supplier_id == supplier.pk for i in summary.recent + summary.latest_drafts + summary.todo)
    assert len(summary.recent) == 5


def test_dashboard_by_month_status_and_recipient(supplier, other):
    ministry, town = StructureFactory(public=True, name="Ministère"), StructureFactory(public=True, name="Commune")
    sent(supplier, on=date(2026, 1, 15), recipient=ministry, ttc="1200.00")
    sent(supplier, on=date(2026, 1, 20), recipient=town, ttc="600.00", status=Status.MISE_EN_PAIEMENT)
    sent(supplier, on=date(2026, 3, 2), recipient=ministry, ttc="240.00", invoice_type="AVOIR")
    sent(supplier, on=date(2025, 12, 31), recipient=ministry, ttc="9999.00")  # before the period
    InvoiceFactory(supplier=supplier)  # a draft is never counted
    sent(other, on=date(2026, 1, 15), recipient=ministry, ttc="5000.00")

    board = figures.dashboard(supplier, start=date(2026, 1, 1), end=date(2026, 4, 1), today=date(2026, 4, 10))
    assert [(b.key, b.count, b.amount) for b in board.months] == [
        (date(2026, 1, 1), 2, Decimal("1800.00")),
        (date(2026, 2, 1), 0, Decimal("0.00")),
        (date(2026, 3, 1), 1, Decimal("-240.00")),
    ]
    assert (board.total.count, board.total.amount) == (3, Decimal("1560.00"))
    assert {b.key: (b.count, b.amount) for b in board.statuses} == {
        Status.MISE_A_DISPOSITION: (2, Decimal("960.00")),
        Status.MISE_EN_PAIEMENT: (1, Decimal("600.00")),
    }
    assert [(b.label, b.count, b.amount) for b in board.recipients] == [
        ("Ministère", 2, Decimal("960.00")),
        ("Commune", 1, Decimal("600.00")),
    ]


def test_dashboard_groups_the_smaller_recipients(supplier, monkeypatch):
    monkeypatch.setattr(figures, "TOP_RECIPIENTS", 2)
    for n, ttc in enumerate(["300.00", "200.00", "100.00", "50.00"]):
        sent(supplier, on=date(2026, 2, 1), recipient=StructureFactory(public=True, name=f"D{n}"), ttc=ttc)
    board = figures.dashboard(supplier, start=date(2026, 1, 1), end=date(2026, 3, 1), today=date(2026, 3, 1))
    assert [(b.label, b.count, b.amount) for b in board.recipients] == [
        ("D0", 1, Decimal("300.00")),
        ("D1", 1, Decimal("200.00")),
        ("Autres destinataires", 2, Decimal("150.00")),
    ]


def test_fiscal_totals_by_rate_with_credit_notes_negative(supplier, other):
    a = sent(supplier, on=date(2026, 10, 3), ttc="1200.00")  # 1000 + 200 at 20 %
    b = sent(supplier, on=date(2026, 10, 20), ttc="1200.00")
    InvoiceVatLine.objects.filter(invoice=b).delete()
    b.vat_lines.create(rate=Decimal("20.00"), base_ht=Decimal("500.00"), vat_amount=Decimal("100.00"))
    b.vat_lines.create(rate=Decimal("5.50"), base_ht=Decimal("568.72"), vat_amount=Decimal("31.28"))
    sent(supplier, on=date(2026, 10, 25), ttc="120.00", invoice_type="AVOIR")  # -100 / -20 at 20 %
    sent(supplier, on=date(2026, 10, 26), ttc="1200.00", status=Status.REJETEE)  # left out
    sent(supplier, on=date(2026, 11, 1), ttc="1200.00")  # after the period
    InvoiceFactory(supplier=supplier, invoice_date=date(2026, 10, 5))  # a draft
    sent(other, on=date(2026, 10, 3), ttc="1200.00")

    by_rate, total = figures.fiscal_totals(supplier, start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert [(r.rate, r.invoices, r.ht, r.tva, r.ttc) for r in by_rate] == [
        (Decimal("20.00"), 3, Decimal("1400.00"), Decimal("280.00"), Decimal("1680.00")),
        (Decimal("5.50"), 1, Decimal("568.72"), Decimal("31.28"), Decimal("600.00")),
    ]
    assert (total.invoices, total.ht, total.tva, total.ttc) == (
        3,
        Decimal("1968.72"),
        Decimal("311.28"),
        Decimal("2280.00"),
    )
    page, following = figures.fiscal_page(supplier, start=date(2026, 10, 1), end=date(2026, 10, 31), after=None)
    assert [i.pk for i in page][:2] == [a.pk, b.pk] and following is None
    assert [(v.rate, v.ht) for v in page[2].signed_vat_lines] == [(Decimal("20.00"), Decimal("-100.00"))]


def test_fiscal_pages_by_keyset(supplier, monkeypatch):
    monkeypatch.setattr(figures, "PAGE_SIZE", 2)
    invoices = [sent(supplier, on=date(2026, 5, d)) for d in (3, 1, 2, 2, 9)]
    start, end = date(2026, 5, 1), date(2026, 5, 31)
    seen, after = [], None
    while True:
        page, after = figures.fiscal_page(supplier, start=start, end=end, after=after)
        seen += [i.pk for i in page]
        if after is None:
            break
    expected = sorted(invoices, key=lambda i: (i.invoice_date, i.pk))
    assert seen == [i.pk for i in expected]


def test_late_invoices_with_interest_and_indemnities(supplier, other):
    today = date(2026, 12, 2)
    LatePaymentRate.objects.create(valid_from=date(2026, 7, 1), ecb_rate=Decimal("2.15"))
    late = sent(supplier, on=date(2026, 10, 1), ttc="3650.00")
    Invoice.objects.filter(pk=late.pk).update(payment_started_on=date(2026, 10, 2), payment_due_on=date(2026, 11, 1))
    in_time = sent(supplier, on=date(2026, 11, 20))
    Invoice.objects.filter(pk=in_time.pk).update(
        payment_started_on=date(2026, 11, 20), payment_due_on=date(2026, 12, 20)
    )
    paid = sent(supplier, on=date(2026, 9, 1), status=Status.MISE_EN_PAIEMENT)
    Invoice.objects.filter(pk=paid.pk).update(
        payment_started_on=date(2026, 9, 1), payment_due_on=date(2026, 10, 1), payment_stopped_on=date(2026, 10, 20)
    )
    foreign = sent(other, on=date(2026, 10, 1))
    Invoice.objects.filter(pk=foreign.pk).update(payment_started_on=date(2026, 10, 2), payment_due_on=date(2026, 11, 1))

    summary = figures.late_summary(supplier, today=today)
    assert summary.count == figures.CappedCount(1, False)
    # 3 650 × 10,15 % × 31 / 365 = 31,465 → 31,47 €
    assert (summary.amount, summary.interest, summary.indemnities) == (
        Decimal("3650.00"),
        Decimal("31.47"),
        Decimal("40.00"),
    )
    assert summary.due == Decimal("71.47") and not summary.missing_rate
    rows, following = figures.late_page(supplier, after=None, today=today)
    assert [r.invoice.pk for r in rows] == [late.pk] and rows[0].clock.late_days == 31 and following is None
