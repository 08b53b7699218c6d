"""How a transition is written: ``transition_locked`` and ``apply_transition``.

``invoice_transition`` locks the invoice row, asks the transition table (``workflow.check``), checks
the motif against the transition's motif rule and that the user acting may act for this invoice,
then writes the status, ``status_changed_at``, the n° de mandat and one append-only
``InvoiceEvent`` in a single transaction. What follows the commit is the table's to say: the
notification (``Transition.notifies``) and a new routing (``Transition.reroutes``) are enqueued
with ``transaction.on_commit``, so nothing is sent for a transition that rolls back.

``invoice_transitions`` fires many transitions at once (the staff's bulk actions, issue 14): per
chunk of ``CHUNK`` invoices, one ``SELECT … FOR UPDATE`` ordered by id (two workers lock in the
same order, so they never deadlock), the same checks per invoice as the single path (the same
functions: ``_check`` asks the table, the rights and the motif rule, ``_stage`` sets the status,
the dates, the payment clock and builds the event), then one UPDATE per set of values written
(one for a bulk action, whose invoices all get the same status and instant), one INSERT of the
events and one set of callbacks after the commit (one figures version replaced per supplier, the
notifications, the routing). What the checks read (a motif, a user's
right on a structure, a recipient's payment delay) is read once per chunk (``_Lookups``).

A repeated delivery (the invoice is already in the target status) returns ``None``: no event, no
e-mail. This module sits under the services and the tasks: it imports models, the table, the
structures app and ``chorus.queue``, and enqueues tasks by their registered name, so that neither
services nor tasks are imported here. "deposer" (the sending of a draft) needs every check of
"Valider et envoyer": its door is ``services.invoice_send``, which writes its event here.
"""

import logging
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

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


class _Lookups:
    """What the checks read from the database, read once per chunk of transitions (once per
    transition on the single path): a motif by its code, a user's right to act for a structure,
    a recipient's délai global de paiement. The rules stay where they are; only their answers
    are kept, for the length of one transaction."""

    def __init__(self):
        self.motifs: dict[str, Motif | None] = {}
        self.rights: dict[tuple, bool] = {}
        self.delays: dict[int, int | None] = {}

    def motif(self, code: str) -> Motif | None:
        if code not in self.motifs:
            self.motifs[code] = Motif.objects.filter(code=code, is_active=True).first()
        return self.motifs[code]

    def right(self, key: tuple, predicate) -> bool:
        if key not in self.rights:
            self.rights[key] = predicate()
        return self.rights[key]

    def payment_delay(self, recipient_id: int) -> int | None:
        if recipient_id not in self.delays:
            self.delays[recipient_id] = (
                Structure.objects.filter(pk=recipient_id).values_list("payment_delay_days", flat=True).first()
            )
        return self.delays[recipient_id]


def motif_resolve(motif, transition: workflow.Transition, *, lookups: _Lookups | None = None) -> Motif | None:
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
    found = (lookups or _Lookups()).motif(code)
    if found is None:
        raise workflow.TransitionError(_("Ce motif n'existe pas ou n'est plus utilisé : choisissez-en un autre."))
    if transition.motifs == workflow.MotifRule.RECYCLABLE and not found.recyclable:
        raise workflow.TransitionError(
            _("Le motif « %(motif)s » ne permet pas de mettre une facture à recycler : choisissez un motif recyclable.")
            % {"motif": found.label}
        )
    return found


def check_user(*, invoice: Invoice, actor: workflow.Actor, user, lookups: _Lookups | None = None) -> None:
    """The user acting must belong to the side the actor stands for (none: the system, a command).

    A recipient's agent acts only on invoices addressed to their structure (a superuser on any);
    a supplier's user only on their structure's invoices.
    """
    if user is None:
        return
    lookups = lookups or _Lookups()
    if actor == workflow.Actor.RECIPIENT:
        recipient_id = invoice.recipient_id
        if lookups.right((actor, user.pk, recipient_id), lambda: access.may_act_for_recipient(user, recipient_id)):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas rattaché à la structure destinataire de cette facture : vous ne pouvez pas la traiter.")
        )
    if actor == workflow.Actor.SUPPLIER:
        supplier_id = invoice.supplier_id
        if lookups.right((actor, user.pk, supplier_id), lambda: access.is_active_member(user, supplier_id)):
            return
        raise workflow.TransitionError(
            _("Vous n'êtes pas (ou plus) rattaché à la structure %(name)s : vous ne pouvez pas agir sur ses factures.")
            % {"name": invoice.supplier.name}
        )


CLOCK_FIELDS = ["payment_started_on", "payment_due_on", "payment_stopped_on", "payment_interrupted_on"]


def wind_payment_clock(locked: Invoice, *, now, lookups: _Lookups | None = None) -> list[str]:
    """Move the invoice's payment clock for the status just set (``payment.clock_after``); the
    recipient's délai global de paiement is read when the clock starts. Returns the changed fields."""
    before = locked.payment_clock
    delay = payment.DEFAULT_DELAY_DAYS
    if locked.status == workflow.Status.MISE_A_DISPOSITION and locked.recipient_id is not None:
        if Invoice._meta.get_field("recipient").is_cached(locked) and locked.recipient is not None:
            delay = locked.recipient.payment_delay_days
        else:
            delay = (lookups or _Lookups()).payment_delay(locked.recipient_id) or delay
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


# The fields every transition writes on the invoice (the payment clock's when it moves).
WRITTEN_FIELDS = ["status", "status_changed_at", "last_reminder_at", "mandate_number"]


def _stage(
    locked: Invoice,
    *,
    transition: workflow.Transition,
    actor: workflow.Actor,
    user=None,
    motif: Motif | None = None,
    comment: str = "",
    mandate_number: str = "",
    now,
    lookups: _Lookups | None = None,
) -> tuple[InvoiceEvent, list[str]]:
    """Set a checked transition on the locked invoice in memory (status, dates, n° de mandat,
    payment clock) and build its event, unsaved; returns (event, the invoice fields to write).
    The single path saves both at once (``apply_transition``), a chunk in bulk."""
    from_status = locked.status
    locked.status = transition.target.value
    locked.status_changed_at = now
    locked.last_reminder_at = None
    mandate_number = (mandate_number or "").strip()
    if mandate_number:
        locked.mandate_number = mandate_number
    clock_fields = wind_payment_clock(locked, now=now, lookups=lookups)
    event = InvoiceEvent(
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
    return event, [*WRITTEN_FIELDS, *clock_fields]


def _after_commit(written: list[tuple[InvoiceEvent, workflow.Transition]]) -> None:
    """Schedule what follows the commit of written transitions: the figures of each supplier
    invalidated (one version replaced per supplier), the notifications (collected by an enclosing
    ``notifications_batched``, else one task for one event and one per ``NOTIFY_CHUNK`` events
    for more), the routing of the invoices the table re-routes."""
    if not written:
        return
    suppliers = sorted({event.supplier_id for event, _transition in written})
    transaction.on_commit(lambda: figures_cache.invalidate_many(suppliers))
    notify = [event.pk for event, transition in written if transition.notifies]
    if notify:
        batch = _batched_notifications.get()
        if batch is not None:
            transaction.on_commit(lambda: batch.extend(notify))
        elif len(notify) == 1:
            transaction.on_commit(lambda: enqueue_notification(notify[0]))
        else:

            def publish():
                for start in range(0, len(notify), NOTIFY_CHUNK):
                    enqueue(NOTIFY_MANY_TASK, notify[start : start + NOTIFY_CHUNK])

            transaction.on_commit(publish)
    reroute = [event.invoice_id for event, transition in written if transition.reroutes]
    if reroute:
        transaction.on_commit(lambda: [enqueue_routing(invoice_id) for invoice_id in reroute])


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
    lookups: _Lookups | None = None,
) -> InvoiceEvent:
    """Write an already checked transition on a locked invoice: status, dates, event; schedule the
    notification. ``update_fields=None`` saves the whole row (``invoice_send`` sets more fields).

    Callers hold the row lock inside a transaction (``invoice_transition``, ``invoice_send``).
    """
    event, fields = _stage(
        locked,
        transition=transition,
        actor=actor,
        user=user,
        motif=motif,
        comment=comment,
        mandate_number=mandate_number,
        now=now or timezone.now(),
        lookups=lookups,
    )
    if update_fields is None:
        locked.save()
    else:
        locked.save(update_fields=[*update_fields, *fields])
    event.save(force_insert=True)
    _after_commit([(event, transition)])
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


def _check(
    locked: Invoice,
    *,
    transition: str,
    actor,
    user=None,
    motif=None,
    mandate_number: str = "",
    lookups: _Lookups,
) -> tuple[workflow.Transition, workflow.Actor, Motif | None] | None:
    """Every rule of a transition on a locked invoice, writing nothing: the table (transition,
    source status, actor, motif and n° de mandat required), the sending's own door, the user's
    rights, the motif rule. Returns (transition, actor, motif), or None when the invoice is already
    in the target status; raises ``workflow.TransitionError`` (French) or ``ValueError`` (an
    unknown actor)."""
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
    check_user(invoice=locked, actor=actor, user=user, lookups=lookups)
    return t, actor, motif_resolve(motif, t, lookups=lookups)


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
    lookups = _Lookups()
    checked = _check(
        locked,
        transition=transition,
        actor=actor,
        user=user,
        motif=motif,
        mandate_number=mandate_number,
        lookups=lookups,
    )
    if checked is None:
        return None
    t, actor, motif = checked
    return apply_transition(
        locked,
        transition=t,
        actor=actor,
        user=user,
        motif=motif,
        comment=comment,
        mandate_number=mandate_number,
        update_fields=[],
        lookups=lookups,
    )


# --- Many transitions at once (the staff's bulk actions) ----------------------------------------

# Invoices locked and written per statement: 50 rows lock in ~1 ms and keep the statements small.
CHUNK = 50
MISSING = "Facture introuvable."


@dataclass(frozen=True)
class Change:
    """One transition to fire on one invoice (``invoice_transitions``); the same arguments as
    ``invoice_transition``, the invoice by its id."""

    invoice_id: int
    transition: str
    actor: Any
    user: Any = None
    motif: Any = None
    comment: str = ""
    mandate_number: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of a ``Change``: its event (applied), or neither event nor error (the invoice
    was already in the target status: nothing written), or the French reason of a refusal."""

    change: Change
    event: InvoiceEvent | None = None
    error: str = ""


def invoice_transitions(changes: Sequence[Change]) -> list[Outcome]:
    """Fire many transitions, ``CHUNK`` invoices per statement; one ``Outcome`` per change, in order.

    Each change is checked and written exactly as ``invoice_transition`` would (same rules, same
    fields, same event, the same work after the commit, the notifications of the chunk published
    together); the changes of a chunk share one instant. A refused change writes nothing and
    does not stop the others. Two changes of one invoice apply in order, the second seeing the
    first's status. Runs in the caller's transaction if there is one (no savepoint: a database
    error rolls the caller's work back with it), else each chunk in its own; a database error
    propagates."""
    outcomes: list[Outcome] = []
    for start in range(0, len(changes), CHUNK):
        with transaction.atomic(savepoint=False):
            outcomes += _transitions_chunk(changes[start : start + CHUNK])
    return outcomes


def _transitions_chunk(changes: Sequence[Change]) -> list[Outcome]:
    ids = sorted({change.invoice_id for change in changes})
    # Ordered by id: every worker locks in the same order, so two chunks never deadlock.
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    }
    loaded = {pk: _clock_values(invoice) for pk, invoice in locked.items()}
    lookups = _Lookups()
    now = timezone.now()  # one instant for the chunk, as one statement writes it
    outcomes: list[Outcome] = []
    written: list[tuple[InvoiceEvent, workflow.Transition]] = []
    changed: dict[int, Invoice] = {}
    for change in changes:
        invoice = locked.get(change.invoice_id)
        if invoice is None:
            outcomes.append(Outcome(change, error=MISSING))
            continue
        try:
            checked = _check(
                invoice,
                transition=change.transition,
                actor=change.actor,
                user=change.user,
                motif=change.motif,
                mandate_number=change.mandate_number,
                lookups=lookups,
            )
        except (workflow.TransitionError, ValueError) as exc:
            outcomes.append(Outcome(change, error=str(exc)))
            continue
        if checked is None:
            outcomes.append(Outcome(change))
            continue
        t, actor, motif = checked
        event, _fields = _stage(
            invoice,
            transition=t,
            actor=actor,
            user=change.user,
            motif=motif,
            comment=change.comment,
            mandate_number=change.mandate_number,
            now=now,
            lookups=lookups,
        )
        changed[invoice.pk] = invoice
        written.append((event, t))
        outcomes.append(Outcome(change, event=event))
    if changed:
        _write_invoices(changed.values(), loaded)
        InvoiceEvent.objects.bulk_create([event for event, _t in written])
        _after_commit(written)
    return outcomes


def _clock_values(invoice: Invoice) -> dict:
    return {field: getattr(invoice, field) for field in CLOCK_FIELDS}


def _write_invoices(invoices, loaded: dict[int, dict]) -> None:
    """One UPDATE per set of values: the fields every transition writes, and the payment clock's
    that moved. A bulk action gives all its invoices the same status, instant and n° de mandat:
    one UPDATE for the chunk (Django's ``bulk_update`` builds a CASE per row and field, ten times
    the CPU of the transitions themselves)."""
    groups: dict[tuple, list[int]] = {}
    for invoice in invoices:
        values = {field: getattr(invoice, field) for field in WRITTEN_FIELDS}
        values.update(
            (field, value) for field, value in _clock_values(invoice).items() if value != loaded[invoice.pk][field]
        )
        groups.setdefault(tuple(sorted(values.items())), []).append(invoice.pk)
    for values, pks in groups.items():
        Invoice.objects.filter(pk__in=pks).update(**dict(values))


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
    "CHUNK",
    "Change",
    "Outcome",
    "apply_transition",
    "check_user",
    "enqueue_notification",
    "enqueue_routing",
    "invoice_transition",
    "invoice_transitions",
    "lock_invoice",
    "motif_resolve",
    "motifs_for",
    "notifications_batched",
    "record_event",
    "transition_locked",
]
