"""Notifying invoice events: the claim of each event and its e-mails in one transaction, then the
e-mails sent by the same worker (no task per e-mail)."""

from django.db import transaction
from django.utils import timezone

from accounts import outbox
from invoices import notifications, workflow
from invoices.models import InvoiceEvent


def _notify_one(event_id: int, now) -> list[int] | None:
    """Claim one event and write its e-mails to the outbox; their ids, or None if already claimed.

    One transaction: the claim (``notified_at`` set by a conditional UPDATE) and the outbox rows
    commit together (then the e-mails cannot be lost) or not at all (then the event is still
    unnotified, for a retry or for ``invoices.sweep_unnotified_events``)."""
    with transaction.atomic():
        claimed = InvoiceEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(notified_at=now)
        if not claimed:
            return None
        event = InvoiceEvent.objects.select_related("invoice__supplier", "invoice__recipient", "motif").get(pk=event_id)
        transition = workflow.TRANSITIONS.get(event.transition)
        if transition is None or not transition.notifies:
            return []
        return notifications.write(notifications.event_messages(event))


def events_notify(*, event_ids: list[int]) -> dict:
    """E-mail the supplier side about each event, once; then send the e-mails written, here.

    A second delivery finds the events claimed and does nothing. If this worker dies between a
    commit and the sending, the outbox rows are due again after OUTBOX_SWEEP_AFTER_SECONDS and
    ``accounts.sweep_outbox`` hands them to a worker; a row is sent once (its claim)."""
    now = timezone.now()
    written: list[int] = []
    already = 0
    for event_id in event_ids:
        rows = _notify_one(event_id, now)
        if rows is None:
            already += 1
        else:
            written += rows
    outcomes = [outbox.outbox_deliver(pk) for pk in written]
    return {
        "sent": len(written),
        "already": already,
        "delivered": outcomes.count("sent"),
        "events": len(event_ids),
    }
