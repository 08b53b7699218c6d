"""Payment clocks of the invoices received before the clock existed: replayed from their history."""

from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from invoices import figures_cache, lifecycle, payment
from invoices.models import Invoice, InvoiceEvent, InvoiceType
from invoices.workflow import Status

# Statuses an invoice has no clock in (not received, or sent back to be recycled).
NO_CLOCK = [Status.BROUILLON, Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, Status.A_RECYCLER]
CLOCK_FIELDS = lifecycle.CLOCK_FIELDS


def clock_from_history(events, *, delay_days: int, credit_note: bool) -> payment.Clock:
    """The clock an invoice would have if its history had gone through ``lifecycle`` with it:
    each status change, in order, through ``payment.clock_after``."""
    clock = payment.Clock()
    for to_status, created_at in events:
        clock = payment.clock_after(
            clock,
            target=to_status,
            today=timezone.localdate(created_at),
            delay_days=delay_days,
            credit_note=credit_note,
        )
    return clock


def invoices_without_clock():
    return (
        Invoice.objects.filter(payment_started_on__isnull=True)
        .exclude(status__in=NO_CLOCK)
        .exclude(invoice_type=InvoiceType.CREDIT_NOTE)
    )


def payment_clocks_rebuild(*, batch_size: int = 500) -> int:
    """Give a clock to every received invoice that has none (invoices received before migration
    0006), from its history and its recipient's délai; by batches of ``batch_size`` rows locked
    with SKIP LOCKED (a transition in progress is left for a later run). Idempotent: an invoice
    with a clock is never touched. Returns the number of invoices updated."""
    updated, after = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                invoices_without_clock()
                .filter(pk__gt=after)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .only("id", "status", "invoice_type", "recipient__payment_delay_days", *CLOCK_FIELDS)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                if updated:
                    figures_cache.invalidate_all()
                return updated
            after = batch[-1].pk
            history = defaultdict(list)
            events = (
                InvoiceEvent.objects.filter(invoice_id__in=[i.pk for i in batch])
                .exclude(from_status=F("to_status"))
                .order_by("invoice_id", "created_at", "id")
                .values_list("invoice_id", "to_status", "created_at")
            )
            for invoice_id, to_status, created_at in events:
                history[invoice_id].append((to_status, created_at))
            changed = []
            for invoice in batch:
                delay = invoice.recipient.payment_delay_days if invoice.recipient else payment.DEFAULT_DELAY_DAYS
                clock = clock_from_history(history[invoice.pk], delay_days=delay, credit_note=False)
                if clock.started_on is not None:
                    invoice.payment_clock = clock
                    changed.append(invoice)
            Invoice.objects.bulk_update(changed, CLOCK_FIELDS)
            updated += len(changed)
