"""How a transition is written: ``transition_locked`` and ``apply_transition``.

``invoice_transition`` locks the invoice row, asks the transition table (``workflow.check``), checks
the motif against the transition's motif rule and that the user acting may act for this invoice,
then writes the status, ``status_changed_at``, the n° de mandat and one append-only
``InvoiceEvent`` in a single transaction. What follows the commit is the table's to say: the
notification (``Transition.notifies``) and a new routing (``Transition.reroutes``) are enqueued
with ``transaction.on_commit``, so nothing is sent for a transition that rolls back.

A repeated delivery (the invoice is already in the target status) returns ``None``: no event, no
e-mail. This module sits under the services and the tasks: it imports models, the table, the
structures app and ``chorus.queue``, and enqueues tasks by their registered name, so that neither
services nor tasks are imported here. "deposer" (the sending of a draft) needs every check of
"Valider et envoyer": its door is ``services.invoice_send``, which writes its event here.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.queue import enqueue
from invoices import figures_cache, payment, workflow
from invoices.models import Invoice, InvoiceEvent, InvoiceType, Motif
from structures import access
from structures.models import Structure

logger = logging.getLogger(__name__)

# Names of the tasks enqueued after a commit (registered in invoices/tasks.py).
NOTIFY_TASK = "invoices.notify_invoice_event"
NOTIFY_MANY_TASK = "invoices.notify_invoice_events"
# Events per notification task when a batch of transitions is notified together.
NOTIFY_CHUNK = 100
_batched_notifications: ContextVar[list[int] | None] = ContextVar("batched_notifications", default=None)


@contextmanager
def notifications_batched():
    """Within this block, the notifications of committed transitions are collected instead of one
    task each, and enqueued on leaving it by ``NOTIFY_CHUNK`` events per task (a worker applying
    1,000 staff requests publishes 10 tasks, not 1,000). Events whose task is lost (the worker
    dies inside the block) are notified by ``invoices.sweep_unnotified_events``."""
    collected: list[int] = []
    token = _batched_notifications.set(collected)
    try:
        yield collected
    finally:
        _batched_notifications.reset(token)

        def publish():
            for start in range(0, len(collected), NOTIFY_CHUNK):
                enqueue(NOTIFY_MANY_TASK, collected[start : start + NOTIFY_CHUNK])

        # At once outside a transaction; inside an outer one, after the events' own callbacks.
        transaction.on_commit(publish)


# The transition whose door is ``services.invoice_send`` (every check of "Valider et envoyer").
SEND_TRANSITION = "deposer"
ROUTE_TASK = "invoices.route_invoice"


def lock_invoice(invoice, *, related: tuple[str, ...] = ("supplier",)) -> Invoice:
    """Re-read and lock the invoice row (``invoice`` is an Invoice or an id); within a transaction.

    Only ``related`` is joined: building model instances is what costs (measured on PostgreSQL: a
    lock joining the five related rows ~140 transactions/s, joining the supplier only ~320)."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return Invoice.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)


def motifs_for(transition: workflow.Transition):
    """The active motifs ``transition`` accepts (its ``MotifRule``), for forms and commands."""
    if not transition.motif_required:
        return Motif.objects.none()
    motifs = Motif.objects.filter(is_active=True)
    if transition.motifs == workflow.MotifRule.RECYCLABLE:
        motifs = motifs.filter(recyclable=True)
    return motifs


def motif_resolve(motif, transition: workflow.Transition) -> Motif | None:
    """The Motif of a transition from a Motif, its code or None, checked against the transition's
    motif rule: an unknown or inactive motif, a motif given to a transition that takes none, or a
    motif that does not allow recycling for a transition that sends the invoice back to be
    recycled, is a TransitionError (French)."""
    if motif is None or motif == "":
        return None
    if not transition.motif_required:
        raise workflow.TransitionError(
            _("L'action « %(action)s » ne prend pas de motif.") % {"action": transition.label}
        )
    code = motif.code if isinstance(motif, Motif) else str(motif).strip()
    found = Motif.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise workflow.TransitionError(_("Ce motif n'existe pas ou n'est plus utilisé : choisissez-en un autre."))
    if transition.motifs == workflow.MotifRule.RECYCLABLE and not found.recyclable:
        raise workflow.TransitionError(
            _("Le motif « %(motif)s » ne permet pas de mettre une facture à recycler : choisissez un motif recyclable.")
            % {"motif": found.label}
        )
    return found


def check_user(*, invoice: Invoice, actor: workflow.Actor, user) -> None:
    """The user acting must belong to the side the actor stands for (none: the system, a command).

    A recipient's agent acts only on invoices addressed to their structure (a superuser on any);
    a supplier's user only on their structure's invoices.
    """
    if user is None:
        return
    if actor == workflow.Actor.RECIPIENT:
        if access.may_act_for_recipient(user, invoice.recipient_id):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas rattaché à la structure destinataire de cette facture : vous ne pouvez pas la traiter.")
        )
    if actor == workflow.Actor.SUPPLIER:
        if access.is_active_member(user, invoice.supplier_id):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas (ou plus) rattaché à la structure %(name)s : vous ne pouvez pas agir sur ses factures.")
            % {"name": invoice.supplier.name}
        )


CLOCK_FIELDS = ["payment_started_on", "payment_due_on", "payment_stopped_on", "payment_interrupted_on"]


def wind_payment_clock(locked: Invoice, *, now) -> list[str]:
    """Move the invoice's payment clock for the status just set (``payment.clock_after``); the
    recipient's délai global de paiement is read when the clock starts. Returns the changed fields."""
    before = locked.payment_clock
    delay = payment.DEFAULT_DELAY_DAYS
    if locked.status == workflow.Status.MISE_A_DISPOSITION and locked.recipient_id is not None:
        if Invoice._meta.get_field("recipient").is_cached(locked) and locked.recipient is not None:
            delay = locked.recipient.payment_delay_days
        else:
            delay = (
                Structure.objects.filter(pk=locked.recipient_id).values_list("payment_delay_days", flat=True).first()
                or delay
            )
    after = payment.clock_after(
        before,
        target=locked.status,
        today=timezone.localdate(now),
        delay_days=delay,
        credit_note=locked.invoice_type == InvoiceType.CREDIT_NOTE,
    )
    if after == before:
        return []
    locked.payment_clock = after
    return CLOCK_FIELDS


def apply_transition(
    locked: Invoice,
    *,
    transition: workflow.Transition,
    actor: workflow.Actor,
    user=None,
    motif: Motif | None = None,
    comment: str = "",
    mandate_number: str = "",
    now=None,
    update_fields: list[str] | None = None,
) -> InvoiceEvent:
    """Write an already checked transition on a locked invoice: status, dates, event; schedule the
    notification. ``update_fields=None`` saves the whole row (``invoice_send`` sets more fields).

    Callers hold the row lock inside a transaction (``invoice_transition``, ``invoice_send``).
    """
    now = now or timezone.now()
    from_status = locked.status
    locked.status = transition.target.value
    locked.status_changed_at = now
    locked.last_reminder_at = None
    mandate_number = (mandate_number or "").strip()
    if mandate_number:
        locked.mandate_number = mandate_number
    clock_fields = wind_payment_clock(locked, now=now)
    if update_fields is None:
        locked.save()
    else:
        locked.save(
            update_fields=[
                *update_fields,
                "status",
                "status_changed_at",
                "last_reminder_at",
                "mandate_number",
                *clock_fields,
            ]
        )
    event = InvoiceEvent.objects.create(
        invoice=locked,
        supplier_id=locked.supplier_id,
        transition=transition.name,
        from_status=from_status,
        to_status=locked.status,
        actor_kind=actor.value,
        user=user,
        motif=motif,
        comment=(comment or "").strip(),
        mandate_number=mandate_number,
        created_at=now,
    )
    supplier_id = locked.supplier_id
    transaction.on_commit(lambda: figures_cache.invalidate(supplier_id))
    if transition.notifies:
        event_id = event.pk
        batch = _batched_notifications.get()
        if batch is not None:
            transaction.on_commit(lambda: batch.append(event_id))
        else:
            transaction.on_commit(lambda: enqueue_notification(event_id))
    if transition.reroutes:
        invoice_id = locked.pk
        transaction.on_commit(lambda: enqueue_routing(invoice_id))
    return event


def invoice_transition(
    *,
    invoice,
    transition: str,
    actor: workflow.Actor,
    user=None,
    motif=None,
    comment: str = "",
    mandate_number: str = "",
) -> InvoiceEvent | None:
    """Fire ``transition`` on ``invoice`` (an Invoice or an id) as ``actor``; return the event.

    Raises ``workflow.TransitionError`` (French message) when the table, the user's rights or the
    motif forbid it, writing nothing. Returns ``None`` when the invoice is already in the target
    status (a repeated delivery): nothing is written or sent. The Invoice passed in is not
    refreshed: re-read it if you need its new status.
    """
    with transaction.atomic():
        return transition_locked(
            lock_invoice(invoice),
            transition=transition,
            actor=actor,
            user=user,
            motif=motif,
            comment=comment,
            mandate_number=mandate_number,
        )


def transition_locked(
    locked: Invoice,
    *,
    transition: str,
    actor: workflow.Actor,
    user=None,
    motif=None,
    comment: str = "",
    mandate_number: str = "",
) -> InvoiceEvent | None:
    """``invoice_transition`` on an invoice the caller locked with ``lock_invoice`` in the current
    transaction (services that check more under the same lock: routing, recycling)."""
    actor = workflow.Actor(actor)
    motif_code = motif.code if isinstance(motif, Motif) else (motif or None)
    try:
        t = workflow.check(
            status=locked.status,
            transition=transition,
            actor=actor,
            motif=motif_code,
            mandate_number=mandate_number,
        )
    except workflow.AlreadyApplied:
        logger.info("Facture %s : %s déjà appliquée (statut %s)", locked.pk, transition, locked.status)
        return None
    if t.name == SEND_TRANSITION:
        raise workflow.TransitionError(_("L'envoi d'une facture passe par « Valider et envoyer » (invoice_send)."))
    check_user(invoice=locked, actor=actor, user=user)
    return apply_transition(
        locked,
        transition=t,
        actor=actor,
        user=user,
        motif=motif_resolve(motif, t),
        comment=comment,
        mandate_number=mandate_number,
        update_fields=[],
    )


def record_event(
    *, invoice: Invoice, actor: workflow.Actor, user=None, comment: str = "", motif: Motif | None = None
) -> InvoiceEvent:
    """An event that changes no status (e.g. the supplier acknowledging a rejection)."""
    return InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="",
        from_status=invoice.status,
        to_status=invoice.status,
        actor_kind=workflow.Actor(actor).value,
        user=user,
        motif=motif,
        comment=comment,
    )


# --- Enqueueing side effects (never fails the request: the sweeper catches up) ----------------


def enqueue_notification(event_id: int) -> bool:
    """Enqueue ``invoices.notify_invoice_event`` for one event."""
    return enqueue(NOTIFY_TASK, event_id)


def enqueue_routing(invoice_id: int) -> bool:
    """Enqueue ``invoices.route_invoice``; if the broker is down, ``invoices.sweep_stuck_invoices``
    routes the invoice later (it stays DEPOSEE or EN_COURS_ACHEMINEMENT)."""
    return enqueue(ROUTE_TASK, invoice_id)


__all__ = [
    "apply_transition",
    "check_user",
    "enqueue_notification",
    "enqueue_routing",
    "invoice_transition",
    "lock_invoice",
    "motif_resolve",
    "motifs_for",
    "notifications_batched",
    "record_event",
    "transition_locked",
]
