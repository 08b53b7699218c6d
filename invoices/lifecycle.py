"""The one writer of an invoice's status: ``invoice_transition`` (re-exported by ``services``).

It locks the invoice row, asks the transition table (``workflow.check``), checks that the user
acting may act for this invoice, then writes the status, ``status_changed_at``, the n° de mandat
and one append-only ``InvoiceEvent`` in a single transaction. The notification is enqueued with
``transaction.on_commit``, so nothing is sent for a transition that rolls back.

A repeated delivery (the invoice is already in the target status) returns ``None``: no event, no
e-mail. This module imports only models, the table and the structures app; the Celery tasks are
imported when a side effect is scheduled (they import the services).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.queue import enqueue
from invoices import workflow
from invoices.models import Invoice, InvoiceEvent, Motif
from structures.models import Membership, MembershipStatus

logger = logging.getLogger(__name__)

# Events the supplier is told about by e-mail: what the routing and the recipient do. What the
# supplier did (sending, completing, recycling) and the internal routing step are not notified.
NOTIFIED_TRANSITIONS = frozenset(
    {
        "mettre_a_disposition",
        "echec_acheminement",
        "prendre_en_compte",
        "service_fait",
        "mandater",
        "mettre_a_disposition_comptable",
        "comptabiliser",
        "mettre_en_paiement",
        "suspendre",
        "rejeter",
        "mettre_a_recycler",
    }
)

# Transitions after which the routing task runs again (it continues from EN_COURS_ACHEMINEMENT).
# The first routing after "deposer" is enqueued by ``services._after_send``.
ROUTED_TRANSITIONS = frozenset({"recycler"})


def lock_invoice(invoice, *, related: tuple[str, ...] = ("supplier",)) -> Invoice:
    """Re-read and lock the invoice row (``invoice`` is an Invoice or an id); within a transaction.

    Only ``related`` is joined: building model instances is what costs (measured on PostgreSQL: a
    lock joining the five related rows ~140 transactions/s, joining the supplier only ~320)."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return Invoice.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)


def motif_resolve(motif) -> Motif | None:
    """A Motif from a Motif, its code or None; an unknown or inactive motif is a TransitionError."""
    if motif is None or motif == "":
        return None
    if isinstance(motif, Motif):
        found = Motif.objects.filter(pk=motif.pk, is_active=True).first()
    else:
        found = Motif.objects.filter(code=str(motif).strip(), is_active=True).first()
    if found is None:
        raise workflow.TransitionError(_("Ce motif n'existe pas ou n'est plus utilisé : choisissez-en un autre."))
    return found


def _is_active_member(user, structure_id) -> bool:
    return Membership.objects.filter(user=user, structure_id=structure_id, status=MembershipStatus.ACTIVE).exists()


def check_user(*, invoice: Invoice, actor: workflow.Actor, user) -> None:
    """The user acting must belong to the side the actor stands for (none: the system, a command).

    A recipient's agent acts only on invoices addressed to their structure (a superuser on any);
    a supplier's user only on their structure's invoices.
    """
    if user is None:
        return
    if actor == workflow.Actor.RECIPIENT:
        if user.is_superuser or (invoice.recipient_id and _is_active_member(user, invoice.recipient_id)):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas rattaché à la structure destinataire de cette facture : vous ne pouvez pas la traiter.")
        )
    if actor == workflow.Actor.SUPPLIER:
        if _is_active_member(user, invoice.supplier_id):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas (ou plus) rattaché à la structure %(name)s : vous ne pouvez pas agir sur ses factures.")
            % {"name": invoice.supplier.name}
        )


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
    if update_fields is None:
        locked.save()
    else:
        locked.save(update_fields=[*update_fields, "status", "status_changed_at", "last_reminder_at", "mandate_number"])
    event = InvoiceEvent.objects.create(
        invoice=locked,
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
    if transition.name in NOTIFIED_TRANSITIONS:
        event_id = event.pk
        transaction.on_commit(lambda: enqueue_notification(event_id))
    if transition.name in ROUTED_TRANSITIONS:
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
    check_user(invoice=locked, actor=actor, user=user)
    if t.name == "deposer":
        return _deposit(locked, user)
    return apply_transition(
        locked,
        transition=t,
        actor=actor,
        user=user,
        motif=motif_resolve(motif),
        comment=comment,
        mandate_number=mandate_number,
        update_fields=[],
    )


def _deposit(locked: Invoice, user) -> InvoiceEvent:
    """ "deposer" is the sending of a draft: every check of "Valider et envoyer", the identifier and
    the certificate, so it goes through ``invoice_send`` (which writes its event with
    ``apply_transition``); its ``ValidationError`` tells what is missing."""
    from invoices.services import invoice_send

    if user is None:
        raise workflow.TransitionError(_("L'envoi d'une facture est fait par un utilisateur du fournisseur."))
    invoice_send(invoice=locked, user=user)
    return locked.events.order_by("-created_at", "-id").first()


def record_event(
    *, invoice: Invoice, actor: workflow.Actor, user=None, comment: str = "", motif: Motif | None = None
) -> InvoiceEvent:
    """An event that changes no status (e.g. the supplier acknowledging a rejection)."""
    return InvoiceEvent.objects.create(
        invoice=invoice,
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
    from invoices.tasks import notify_invoice_event

    return enqueue(notify_invoice_event, event_id)


def enqueue_routing(invoice_id: int) -> bool:
    """Enqueue ``invoices.route_invoice``; if the broker is down, ``invoices.sweep_stuck_invoices``
    routes the invoice later (it stays DEPOSEE or EN_COURS_ACHEMINEMENT)."""
    from invoices.tasks import route_invoice

    return enqueue(route_invoice, invoice_id)


__all__ = [
    "NOTIFIED_TRANSITIONS",
    "apply_transition",
    "check_user",
    "enqueue_notification",
    "enqueue_routing",
    "invoice_transition",
    "lock_invoice",
    "motif_resolve",
    "record_event",
    "transition_locked",
]
