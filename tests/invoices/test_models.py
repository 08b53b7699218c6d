"""Model-level rules: statuses match the lifecycle table, constraints back the services' checks,
identifiers are allocated under a lock."""

import threading
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from invoices import services, workflow
from invoices.models import Invoice, Sequence
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory


def test_the_invoice_status_field_uses_the_one_status_enum_of_the_table():
    for field in ("status",):
        assert Invoice._meta.get_field(field).choices == workflow.Status.choices
    assert Invoice._meta.get_field("status").default == workflow.Status.BROUILLON


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"amount_ht": Decimal("-1.00")},
        {"amount_tva": Decimal("-0.01")},
        {"amount_ttc": Decimal("-5.00")},
        {"number": "X" * 21},
        {"engagement_number": "E" * 51},
        {"status": "INCONNU"},
        {"status": Status.DEPOSEE, "identifier": None},
    ],
    ids=["ht", "tva", "ttc", "number-length", "ej-length", "status", "sent-without-identifier"],
)
def test_constraints(changes):
    invoice = InvoiceFactory()
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():  # DataError: PostgreSQL varchar
        Invoice.objects.filter(pk=invoice.pk).update(**changes)


@pytest.mark.django_db
def test_a_draft_may_repeat_a_sent_number():
    sent = InvoiceFactory(sent=True, number="N-1")
    InvoiceFactory(supplier=sent.supplier, number="N-1")
    InvoiceFactory(supplier=sent.supplier, number="N-1")
    assert Invoice.objects.filter(number="N-1").count() == 3


@pytest.mark.django_db
def test_sequence_values_follow_each_other():
    assert [services.sequence_next("TEST") for _ in range(3)] == [1, 2, 3]
    assert services.sequence_next("AUTRE") == 1
    assert Sequence.objects.get(key="TEST").last_value == 3


@pytest.mark.django_db(transaction=True)
def test_identifiers_are_unique_under_concurrency(requires_postgres):
    """Eight threads allocate at once on PostgreSQL: 80 distinct consecutive identifiers."""
    results, errors = [], []

    def work():
        try:
            for _ in range(10):
                with transaction.atomic():
                    results.append(services.identifier_allocate(year=2026))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    first = min(int(r.rsplit("-", 1)[1]) for r in results)
    assert sorted(results) == [f"FAC-2026-{n:07d}" for n in range(first, first + 80)]
