"""Invoice tasks. Thin: explicit names, ids as arguments, the row re-read, a service called.

Every task is safe to run twice (a redelivery after a worker crash, the sweeper re-enqueueing a
task that was only late): the transition table makes a repeated transition a no-op, and each
e-mail is claimed in the database (``notified_at``, ``last_reminder_at``, ``DigestDelivery``)
before it is sent. Transient errors (database connection lost, broker unreachable) are retried
with exponential backoff; business refusals (``TransitionError``) are logged, never retried.

Beat (``CELERY_BEAT_SCHEDULE``): ``invoices.sweep_stuck_invoices`` and
``invoices.sweep_unnotified_events`` every 5 minutes, ``invoices.sweep_deposit_batches`` every
minute, ``invoices.remind_suspended_invoices`` and ``invoices.send_daily_digest`` once a day.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import User
from chorus.queue import enqueue
from invoices import services, workflow
from invoices.models import Invoice, InvoiceEvent

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, KombuOperationalError)
try:
    import redis.exceptions

    TRANSIENT_ERRORS += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover - redis is installed wherever a Redis broker is used
    pass

TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="invoices.route_invoice", **TASK_OPTIONS)
def route_invoice(invoice_id: int) -> dict:
    """DEPOSEE → EN_COURS_ACHEMINEMENT → MISE_A_DISPOSITION (or A_RECYCLER), checked against the
    directory as it is now; continues from EN_COURS_ACHEMINEMENT; does nothing in any other status."""
    try:
        status = services.invoice_route(invoice=invoice_id)
    except Invoice.DoesNotExist:
        logger.warning("route_invoice : facture %s introuvable", invoice_id)
        return {"ok": False, "error": "Facture introuvable."}
    except workflow.TransitionError as exc:  # a concurrent change won the race: nothing to retry
        logger.warning("route_invoice : facture %s : %s", invoice_id, exc)
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "status": status}


@shared_task(name="invoices.transition_invoice", **TASK_OPTIONS)
def transition_invoice(
    invoice_id: int,
    transition: str,
    user_id: int | None = None,
    actor: str = workflow.Actor.RECIPIENT.value,
    motif_code: str | None = None,
    comment: str = "",
    mandate_number: str = "",
) -> dict:
    """Fire one transition (staff actions, operator commands). A refusal of the table, of the
    user's rights or of the motif is logged and returned as {"ok": False, "error": message}."""
    user = None
    if user_id is not None:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            logger.warning("transition_invoice : utilisateur %s introuvable", user_id)
            return {"ok": False, "error": "Utilisateur introuvable."}
    try:
        event = services.invoice_transition(
            invoice=invoice_id,
            transition=transition,
            actor=workflow.Actor(actor),
            user=user,
            motif=motif_code or None,
            comment=comment,
            mandate_number=mandate_number,
        )
    except Invoice.DoesNotExist:
        logger.warning("transition_invoice : facture %s introuvable", invoice_id)
        return {"ok": False, "error": "Facture introuvable."}
    except (workflow.TransitionError, ValueError) as exc:
        logger.warning("transition_invoice : facture %s, %s refusée : %s", invoice_id, transition, exc)
        return {"ok": False, "error": str(exc)}
    status = Invoice.objects.filter(pk=invoice_id).values_list("status", flat=True).first()
    return {"ok": True, "status": status, "event_id": event.pk if event else None, "already_applied": event is None}


@shared_task(name="invoices.notify_invoice_event", **TASK_OPTIONS)
def notify_invoice_event(event_id: int) -> dict:
    """E-mail the supplier side about one event, once (``services.events_notify``)."""
    result = services.events_notify(event_ids=[event_id])
    return {"sent": result["sent"], **({"already": True} if result["already"] else {})}


@shared_task(name="invoices.notify_invoice_events", **TASK_OPTIONS)
def notify_invoice_events(event_ids: list[int]) -> dict:
    """The same for a batch of events (the transitions of a batch of staff requests): each event
    claimed with its e-mails in its own transaction, the e-mails sent by this task afterwards."""
    return services.events_notify(event_ids=event_ids)


@shared_task(name="invoices.sweep_stuck_invoices", **TASK_OPTIONS)
def sweep_stuck_invoices() -> dict:
    """Re-enqueue the routing of invoices stuck in DEPOSEE / EN_COURS_ACHEMINEMENT for more than
    ``INVOICE_SWEEP_AFTER_MINUTES`` (their task was lost: broker down, worker killed)."""
    ids = services.invoices_requeue_stuck(older_than_minutes=settings.INVOICE_SWEEP_AFTER_MINUTES)
    return {"requeued": len(ids)}


@shared_task(name="invoices.remind_suspended_invoices", **TASK_OPTIONS)
def remind_suspended_invoices() -> dict:
    """Remind suppliers of suspensions unanswered for ``INVOICE_REMINDER_AFTER_DAYS`` days, once per
    such period."""
    ids = services.invoices_remind_suspended(after_days=settings.INVOICE_REMINDER_AFTER_DAYS)
    return {"reminded": len(ids)}


@shared_task(name="invoices.send_daily_digest", **TASK_OPTIONS)
def send_daily_digest() -> dict:
    """One e-mail per user who chose the daily digest, about the last 24 h of events on their
    structures' invoices; nothing when nothing happened; once a day."""
    return {"sent": services.digest_send()}


@shared_task(name="invoices.sweep_unnotified_events", **TASK_OPTIONS)
def sweep_unnotified_events() -> dict:
    """Re-enqueue the notification of events whose transition notifies (the table's
    ``Transition.notifies``) but are still unnotified
    ``INVOICE_NOTIFY_SWEEP_AFTER_MINUTES`` after they happened (their task was lost: broker down at
    the commit, worker killed), looking back ``INVOICE_NOTIFY_SWEEP_WINDOW_HOURS``; the claim in
    ``notify_invoice_event`` makes an early re-enqueue harmless."""
    now = timezone.now()
    ids = list(
        InvoiceEvent.objects.filter(
            notified_at__isnull=True,
            transition__in=[t.name for t in workflow.TRANSITIONS.values() if t.notifies],
            created_at__lte=now - timedelta(minutes=settings.INVOICE_NOTIFY_SWEEP_AFTER_MINUTES),
            created_at__gte=now - timedelta(hours=settings.INVOICE_NOTIFY_SWEEP_WINDOW_HOURS),
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[: settings.INVOICE_SWEEP_BATCH]
    )
    queued = sum(enqueue(notify_invoice_event, pk) for pk in ids)
    return {"requeued": len(ids), "published": queued}


@shared_task(name="invoices.process_transition_requests", **TASK_OPTIONS)
def process_transition_requests(batch: str) -> dict:
    """Apply the pending staff actions of one batch (``services.transition_requests_process``):
    each with its outcome in one transaction, so a redelivered task applies nothing twice."""
    return dict(services.transition_requests_process(batch=batch))


@shared_task(name="invoices.sweep_transition_requests", **TASK_OPTIONS)
def sweep_transition_requests() -> dict:
    """Hand to a worker again the staff actions still pending after
    ``INVOICE_REQUEST_SWEEP_AFTER_MINUTES`` (their task was lost)."""
    batches = services.transition_requests_requeue(older_than_minutes=settings.INVOICE_REQUEST_SWEEP_AFTER_MINUTES)
    return {"requeued": len(batches)}


@shared_task(name="invoices.process_deposit_batch", **TASK_OPTIONS)
def process_deposit_batch(batch_id: int) -> dict:
    """Deposit the pending files of a batch (``services.deposit_batch_process``): each file with
    its outcome in one transaction, so a redelivered or swept task deposits nothing twice."""
    return services.deposit_batch_process(batch_id=batch_id)


@shared_task(name="invoices.sweep_deposit_batches", **TASK_OPTIONS)
def sweep_deposit_batches() -> dict:
    """Hand to a worker again the batches unfinished and idle for
    ``INVOICE_BATCH_SWEEP_AFTER_MINUTES`` (their task was lost, or its worker killed)."""
    ids = services.deposit_batches_requeue(older_than_minutes=settings.INVOICE_BATCH_SWEEP_AFTER_MINUTES)
    return {"requeued": len(ids)}
