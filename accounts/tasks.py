"""Account tasks: delivering the e-mail outbox (accounts/outbox.py) and sweeping it. Thin."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError

from accounts import outbox
from chorus.queue import enqueue

logger = logging.getLogger(__name__)

# The database went away (restart, failover): the task is retried; the row is still there.
DATABASE_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="accounts.deliver_email",
    acks_late=True,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def deliver_email(outbox_id: int) -> str:
    """Send one outbox row, once: claimed first, so a second delivery of this task sends nothing.
    Sending errors are recorded on the row and retried by the sweeper, with backoff."""
    return outbox.outbox_deliver(outbox_id)


@shared_task(name="accounts.sweep_outbox", acks_late=True, autoretry_for=DATABASE_ERRORS, max_retries=3)
def sweep_outbox() -> dict:
    """Hand on the pending e-mails whose task was lost (broker down at the commit, worker killed
    after its claim) or whose retry delay has passed; at most OUTBOX_SWEEP_BATCH a run (beat)."""
    ids = outbox.outbox_due_ids(limit=settings.OUTBOX_SWEEP_BATCH)
    queued = sum(enqueue(deliver_email, pk) for pk in ids)
    if ids:
        logger.info("Boîte d'envoi : %s e-mails remis en file (%s publiés)", len(ids), queued)
    return {"requeued": len(ids), "published": queued}


@shared_task(bind=True, name="accounts.send_email", acks_late=True, autoretry_for=DATABASE_ERRORS, max_retries=8)
def send_email(self, *, subject, body, to, from_email=None, html=None, headers=None):
    """The task of earlier versions (e-mails in the message itself), kept for the messages still
    queued at an upgrade. It goes through the outbox too, keyed by the task's id: the same message
    delivered twice is sent once."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to, headers=headers or {})
    if html:
        message.attach_alternative(html, "text/html")
    row, _created = outbox.outbox_write(message=message, idempotency_key=f"celery-task:{self.request.id}")
    return outbox.outbox_deliver(row.pk)
