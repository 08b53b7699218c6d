"""Routing a deposited invoice to its recipient, and the invoices whose routing got stuck."""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from invoices import lifecycle, workflow
from invoices.models import Invoice
from invoices.services.checks import recipient_errors
from invoices.workflow import Status

logger = logging.getLogger(__name__)


def routing_errors(invoice: Invoice) -> tuple[dict[str, list[str]], str | None]:
    """The directory checks of ``recipient_errors`` run against the directory as it is now:
    ({field: [messages]}, the code of the technical motif or None)."""
    errors: dict[str, list[str]] = defaultdict(list)
    motif = recipient_errors(invoice, errors)
    return dict(errors), motif


ROUTING_RELATED = ("supplier", "recipient", "recipient_service")


def invoice_route(*, invoice) -> str:
    """Route a deposited invoice (``invoice`` is an Invoice or an id); return its status after.

    DEPOSEE → EN_COURS_ACHEMINEMENT (``acheminer``), committed; then, in a second transaction,
    the recipient, its code service and the EJ are checked again against the directory and the
    invoice goes to MISE_A_DISPOSITION (``mettre_a_disposition``) or back to the supplier,
    A_RECYCLER (``echec_acheminement``, motif SE/EJ incorrect or Créancier inconnu, the reasons in
    the comment). A process stopped between the two steps leaves EN_COURS_ACHEMINEMENT, which the
    next run finishes; any other status is left alone, so a repeated run changes nothing.
    """
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    system = workflow.Actor.SYSTEM
    # A repeated delivery usually finds the work done: answer it without two locking transactions
    # (measured with a real worker: ~390 repeated deliveries/s instead of ~60).
    current = Invoice.objects.filter(pk=pk).values_list("status", flat=True).first()
    if current is None:
        raise Invoice.DoesNotExist(f"Facture {pk} introuvable")
    if current not in workflow.ROUTING_STATUSES:
        return current
    with transaction.atomic():
        locked = lifecycle.lock_invoice(pk)
        if locked.status == Status.DEPOSEE:
            lifecycle.transition_locked(locked, transition="acheminer", actor=system)
    with transaction.atomic():
        locked = lifecycle.lock_invoice(pk, related=ROUTING_RELATED)
        if locked.status != Status.EN_COURS_ACHEMINEMENT:
            return locked.status
        errors, motif = routing_errors(locked)
        if motif is None:
            lifecycle.transition_locked(locked, transition="mettre_a_disposition", actor=system)
        else:
            comment = "\n".join(message for messages in errors.values() for message in messages)
            lifecycle.transition_locked(
                locked, transition="echec_acheminement", actor=system, motif=motif, comment=comment
            )
            logger.info("Facture %s renvoyée au fournisseur : %s", locked.identifier, comment)
        return locked.status


def invoices_stuck(*, older_than_minutes: int):
    """Invoices DEPOSEE or EN_COURS_ACHEMINEMENT for more than ``older_than_minutes`` (their routing
    task was lost: broker down at sending, worker killed), oldest first."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return (
        Invoice.objects.filter(status__in=workflow.ROUTING_STATUSES)
        .filter(Q(status_changed_at__lte=cutoff) | Q(status_changed_at__isnull=True, sent_at__lte=cutoff))
        .order_by("status_changed_at", "id")
    )


def invoices_requeue_stuck(*, older_than_minutes: int, dry_run: bool = False) -> list[int]:
    """Enqueue ``invoices.route_invoice`` again for each stuck invoice (see ``invoices_stuck``), at
    most ``INVOICE_SWEEP_BATCH`` a run; return their ids (only listed with ``dry_run``). Routing
    is idempotent, so an invoice whose task was only late is not harmed by a second one."""
    ids = list(
        invoices_stuck(older_than_minutes=older_than_minutes).values_list("id", flat=True)[
            : settings.INVOICE_SWEEP_BATCH
        ]
    )
    if not dry_run:
        for pk in ids:
            lifecycle.enqueue_routing(pk)
        if ids:
            logger.warning("%s facture(s) bloquée(s) remise(s) en file d'acheminement : %s", len(ids), ids)
    return ids
