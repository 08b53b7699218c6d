"""The durable e-mail outbox: writing ``OutboxEmail`` rows, claiming, sending and rescheduling them.

Every e-mail of the portal is first a row, written in the transaction of what it tells (a sign-up,
a membership decision, an invoice event): if that transaction rolls back there is no e-mail, if it
commits the e-mail cannot be lost. After the commit ``accounts.deliver_email(outbox_id)`` is
enqueued; when that task is lost (broker down at the commit, worker killed) the beat task
``accounts.sweep_outbox`` hands the row to a worker later.

Claim and lease. A worker sends a row only after a conditional UPDATE took it: state pending and
no lease running, setting ``claimed_until`` (now + OUTBOX_LEASE_SECONDS), a fresh
``claim_token`` and ``attempts + 1``. A second delivery of the same task (Redis redelivery, the
sweeper a little early, an operator's retry) finds the row sent or leased and does nothing. A
worker killed after its claim leaves a lease that runs out; the row is then due again
(``next_attempt_at`` was set to the end of the lease) and the sweeper hands it on.

At least once, not at most once. The claim is committed before the message goes to the SMTP
server and "sent" is written after it went. A crash in between (the worker killed while talking to
the server, the database lost just after the server accepted the message) sends the message again
once the lease runs out. We chose that over at-most-once (mark sent before sending) because a lost
activation link or a lost rejection notice costs more than a rare duplicate, and the window is the
few milliseconds between the server's "250 OK" and our UPDATE. Each row has a stable Message-ID,
so such a duplicate is the same message for mail clients that deduplicate. Every other
duplication (a task delivered twice, two sweepers) is excluded by the claim. A worker sending many
rows it wrote itself (``outbox_deliver_many``, the invoice notifications) claims, sends over one
connection and marks "sent" ``DELIVER_GROUP`` rows at a time: there the window is the sending of
one group (a worker killed in the middle of a group sends its already sent messages again once
the lease runs out), and a group sends nothing after half its lease.

Failures. An error while sending is recorded (``last_error``) and the row waits
OUTBOX_RETRY_BASE_SECONDS × 2^(attempts - 1) (at most OUTBOX_RETRY_MAX_SECONDS) for the sweeper;
after OUTBOX_MAX_ATTEMPTS attempts (claims, so crashes count too) it is ``failed`` and waits for an
operator (``manage.py outbox retry``, or "Renvoyer" in the admin).
"""

import hashlib
import logging
import time
import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import OutboxEmail, OutboxState

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_LENGTH = 2000


def _row_fields(message: EmailMessage) -> dict:
    """The columns of the row that keeps ``message``."""
    if message.attachments:
        raise ValueError("Les pièces jointes ne passent pas par la boîte d'envoi.")
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                html = content
    body = message.body or ""
    if message.content_subtype == "html" and not html:
        html, body = body, ""
    return {
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "from_email": message.from_email or "",
        "subject": message.subject,
        "body": body,
        "html_body": html,
        "headers": {str(k): str(v) for k, v in message.extra_headers.items()},
        "next_attempt_at": timezone.now() + timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS),
    }


def outbox_write(*, message: EmailMessage, idempotency_key: str | None = None) -> tuple[OutboxEmail, bool]:
    """Write ``message`` as a pending row (in the caller's transaction); returns (row, created).

    With an ``idempotency_key`` already used, the existing row is returned and nothing is written:
    a caller that may run twice (a task) gives a key derived from what it tells.
    """
    fields = _row_fields(message)
    if idempotency_key is None:
        return OutboxEmail.objects.create(**fields), True
    return OutboxEmail.objects.get_or_create(idempotency_key=idempotency_key, defaults=fields)


def outbox_write_many(*, messages: list[EmailMessage]) -> list[OutboxEmail]:
    """Write ``messages`` as pending rows in one INSERT (in the caller's transaction), in order."""
    return OutboxEmail.objects.bulk_create([OutboxEmail(**_row_fields(message)) for message in messages])


def message_id(row: OutboxEmail) -> str:
    """A Message-ID that stays the same for every sending of ``row``."""
    _name, address = parseaddr(row.from_email or settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "chorus.invalid"
    digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:24]
    return f"<outbox.{row.pk}.{digest}@{domain}>"


def message_from_row(row: OutboxEmail, *, connection=None) -> EmailMultiAlternatives:
    headers = dict(row.headers or {})
    if not any(key.lower() == "message-id" for key in headers):
        headers["Message-ID"] = message_id(row)
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email or None,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        reply_to=row.reply_to,
        headers=headers,
        connection=connection or get_connection(),
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    return message


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th failed attempt."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def lease_is_free(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def outbox_claim(outbox_id: int) -> str | None:
    """Take the row for this worker (committed at once outside a transaction); its claim token, or
    None when it is sent, failed, unknown or leased by someone else."""
    token, claimed = _claim([outbox_id])
    return token if claimed else None


def _claim(ids: list[int]) -> tuple[str, int]:
    """Take those of the rows that are free (pending, no lease running) in one UPDATE; the token
    the taken rows now carry, and how many were taken."""
    token = uuid.uuid4().hex
    now = timezone.now()
    lease_end = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    # If this worker dies, the rows are due again once the lease has run out.
    claimed = OutboxEmail.objects.filter(lease_is_free(now), pk__in=ids, state=OutboxState.PENDING).update(
        claimed_until=lease_end, next_attempt_at=lease_end, claim_token=token, attempts=F("attempts") + 1
    )
    return token, claimed


def outbox_deliver(outbox_id: int) -> str:
    """Claim, send and mark one row: returns "sent", "retry" (error recorded, due again later),
    "failed" (last attempt) or "skipped" (nothing to do: already sent, failed, or being sent)."""
    return outbox_deliver_many([outbox_id])[0]


# Rows claimed, sent over one connection and marked sent together by ``outbox_deliver_many``.
DELIVER_GROUP = 20


def outbox_deliver_many(ids: list[int]) -> list[str]:
    """``outbox_deliver`` for many rows (a worker sending what it wrote), ``DELIVER_GROUP`` at a
    time: one UPDATE claims the group, one SELECT reads it, its messages go through one connection
    to the server, one UPDATE marks those sent; a failure is recorded for its row only. A worker
    killed in the middle of a group sends again, once the lease has run out, the messages of that
    group it had sent (at least once: see the module's docstring). A group never sends after half
    its lease: the rest waits for the sweeper. Returns the outcome of each id, in order."""
    outcomes: list[str] = []
    connection = get_connection()
    try:
        for start in range(0, len(ids), DELIVER_GROUP):
            outcomes += _deliver_group(ids[start : start + DELIVER_GROUP], connection)
    finally:
        connection.close()
    return outcomes


def _deliver_group(ids: list[int], connection) -> list[str]:
    claimed_at = time.monotonic()
    token, claimed = _claim(ids)
    rows = {row.pk: row for row in OutboxEmail.objects.filter(pk__in=ids, claim_token=token)} if claimed else {}
    outcomes, sent = [], []
    for pk in ids:
        row = rows.get(pk)
        if row is None or time.monotonic() - claimed_at > settings.OUTBOX_LEASE_SECONDS / 2:
            outcomes.append("skipped")
            continue
        try:
            connection.open()  # kept open for the next messages (a no-op once open)
            message_from_row(row, connection=connection).send()
        except Exception as exc:  # noqa: BLE001 - any sending error is recorded and retried, never lost
            connection.close()  # a fresh connection for the next message
            outcomes.append(_record_failure(row, token, exc))
            continue
        sent.append(pk)
        outcomes.append("sent")
    if sent:
        OutboxEmail.objects.filter(pk__in=sent).update(
            state=OutboxState.SENT, sent_at=timezone.now(), claimed_until=None, claim_token="", last_error=""
        )
    return outcomes


def _record_failure(row: OutboxEmail, token: str, exc: BaseException) -> str:
    error = f"{exc.__class__.__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH]
    final = row.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    updates = {"last_error": error, "claimed_until": None, "claim_token": ""}
    if final:
        updates["state"] = OutboxState.FAILED
        logger.error("E-mail %s en échec après %s tentatives : %s", row.pk, row.attempts, error)
    else:
        updates["next_attempt_at"] = timezone.now() + retry_delay(row.attempts)
        logger.warning("E-mail %s non envoyé (tentative %s), nouvel essai plus tard : %s", row.pk, row.attempts, error)
    OutboxEmail.objects.filter(pk=row.pk, claim_token=token).update(**updates)
    return "failed" if final else "retry"


def outbox_due_ids(*, limit: int) -> list[int]:
    """The pending rows due again (their task lost, their lease run out, their retry delay passed),
    oldest first, at most ``limit``; each is given OUTBOX_SWEEP_AFTER_SECONDS before it is due again,
    so that the caller's enqueue is not doubled by the next sweep."""
    now = timezone.now()
    ids = list(
        OutboxEmail.objects.filter(lease_is_free(now), state=OutboxState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        OutboxEmail.objects.filter(pk__in=ids, state=OutboxState.PENDING).update(
            next_attempt_at=now + timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
        )
    return ids
