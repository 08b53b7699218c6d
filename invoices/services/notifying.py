"""Notifying invoice events: the claim of a task's events and their e-mails in one transaction,
then the e-mails sent by the same worker (no task per e-mail)."""

from django.db import transaction
from django.utils import timezone

from accounts import outbox
from invoices import notifications, workflow
from invoices.models import InvoiceEvent


def _notify(event_ids: list[int], now) -> tuple[list[int], int]:
    """Claim the events not notified yet and write their e-mails to the outbox; (the e-mails' ids,
    how many events were already claimed or are unknown).

    One transaction for the whole task (issue 14: a query or two per task instead of eight per
    event): the claims (``notified_at``, set on the rows locked by ``SELECT … FOR UPDATE``, so a
    second delivery waits, then finds them claimed) and the outbox rows commit together (then the
    e-mails cannot be lost) or not at all (then the events are still unnotified, for a retry or
    for ``invoices.sweep_unnotified_events``)."""
    with transaction.atomic():
        events = list(
            InvoiceEvent.objects.select_for_update(of=("self",))
            .select_related("invoice__supplier", "invoice__recipient", "motif")
            .filter(pk__in=event_ids, notified_at__isnull=True)
            .order_by("pk")
        )
        if not events:
            return [], len(event_ids)
        InvoiceEvent.objects.filter(pk__in=[event.pk for event in events]).update(notified_at=now)
        notifying = [
            event
            for event in events
            if (transition := workflow.TRANSITIONS.get(event.transition)) is not None and transition.notifies
        ]
        recipients = notifications.recipients_by_invoice([event.invoice for event in notifying])
        messages = [
            message
            for event in notifying
            for message in notifications.event_messages(event, recipients=recipients[event.invoice_id])
        ]
        return notifications.write(messages), len(event_ids) - len(events)


def events_notify(*, event_ids: list[int]) -> dict:
    """E-mail the supplier side about each event, once; then send the e-mails written, here.

    A second delivery finds the events claimed and does nothing. If this worker dies between the
    commit and the sending, the outbox rows are due again after OUTBOX_SWEEP_AFTER_SECONDS and
    ``accounts.sweep_outbox`` hands them to a worker; a row is sent once (its claim)."""
    written, already = _notify(event_ids, timezone.now())
    outcomes = outbox.outbox_deliver_many(written)
    return {
        "sent": len(written),
        "already": already,
        "delivered": outcomes.count("sent"),
        "events": len(event_ids),
    }
