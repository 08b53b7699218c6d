"""Two typed invoices sent at once on PostgreSQL (issue 14): the yearly identifier is allocated
without a lock held until the commit, so one sending that is still rendering its PDF does not
hold back another structure's sending."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from invoices import rendering, services
from invoices.models import Invoice
from tests.invoices.factories import InvoiceFactory, InvoiceLineFactory, refresh_entry_totals
from tests.structures.factories import MembershipFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def typed_draft():
    member = MembershipFactory()
    member.structure.mandate_accepted_at = timezone.now()
    member.structure.mandate_accepted_by = member.user
    member.structure.save()
    invoice = InvoiceFactory(supplier=member.structure, entry=True)
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("1"), unit_price_ht=Decimal("100.00"))
    return refresh_entry_totals(invoice), member.user


def test_a_sending_still_rendering_does_not_block_another(requires_postgres, monkeypatch):
    first, first_user = typed_draft()
    second, second_user = typed_draft()
    rendering_started, release = threading.Event(), threading.Event()
    real_render = rendering.render_invoice_pdf

    def slow_render(invoice):
        if invoice.pk == first.pk:  # the first sending renders "for ever", its transaction open
            rendering_started.set()
            release.wait(30)
        return real_render(invoice)

    monkeypatch.setattr(rendering, "render_invoice_pdf", slow_render)
    errors = []

    def send_first():
        try:
            services.invoice_send(invoice=Invoice.objects.get(pk=first.pk), user=first_user)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=send_first)
    thread.start()
    try:
        assert rendering_started.wait(30)
        with connection.cursor() as cursor:
            # With the yearly counter row locked by the first sending, this one would wait.
            cursor.execute("SET lock_timeout = '3s'")
        sent = services.invoice_send(invoice=second, user=second_user)
        assert sent.identifier
    finally:
        release.set()
        thread.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert not errors
    first.refresh_from_db()
    # Allocated first, committed last: the identifiers are still distinct and consecutive.
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in (first.identifier, sent.identifier))
    assert numbers[1] == numbers[0] + 1
