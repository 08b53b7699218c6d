"""Writes about accounts that matter, shared by views, admin and commands."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts import outbox
from accounts.models import OutboxEmail, OutboxState, User
from accounts.tasks import deliver_email
from chorus.queue import enqueue_on_commit


def email_enqueue(*, message: EmailMessage, idempotency_key: str | None = None) -> OutboxEmail:
    """Write ``message`` to the outbox in the caller's transaction; once it commits, a worker sends it.

    Rendering happens before, with the request's context; the worker only sends. If the broker is
    down at the commit, the row waits for ``accounts.sweep_outbox`` (nothing is sent from the web
    process). A deterministic ``idempotency_key`` makes a second call with the same key a no-op.
    """
    row, created = outbox.outbox_write(message=message, idempotency_key=idempotency_key)
    if created:
        enqueue_on_commit(deliver_email, row.pk)
    return row


@dataclass
class OutboxRetryReport:
    """What ``outbox_retry`` did, by row id."""

    requeued: list[int] = field(default_factory=list)
    already_sent: list[int] = field(default_factory=list)
    in_progress: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)


@transaction.atomic
def outbox_retry(*, ids: list[int] | None = None, failed: bool = False) -> OutboxRetryReport:
    """Give e-mails another chance (operators): the given rows and/or every failed one.

    A failed row starts again with zero attempts; a pending row is handed to a worker now. A sent
    row is never sent again, and a row a worker is sending right now (lease running) is left to it.
    """
    report = OutboxRetryReport()
    now = timezone.now()
    wanted = OutboxEmail.objects.none()
    if ids:
        wanted = OutboxEmail.objects.filter(pk__in=ids)
    if failed:
        wanted = wanted | OutboxEmail.objects.filter(state=OutboxState.FAILED)
    rows = list(wanted.select_for_update().order_by("pk").values_list("pk", "state", "claimed_until"))
    found = {pk for pk, _state, _lease in rows}
    report.unknown = sorted(set(ids or []) - found)
    for pk, state, claimed_until in rows:
        if state == OutboxState.SENT:
            report.already_sent.append(pk)
        elif claimed_until is not None and claimed_until >= now:
            report.in_progress.append(pk)
        else:
            report.requeued.append(pk)
    if report.requeued:
        OutboxEmail.objects.filter(pk__in=report.requeued).exclude(state=OutboxState.SENT).update(
            state=OutboxState.PENDING,
            attempts=0,
            claimed_until=None,
            claim_token="",
            next_attempt_at=now + timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS),
        )
        for pk in report.requeued:
            enqueue_on_commit(deliver_email, pk)
    return report


def user_update_profile(*, user: User, first_name: str, last_name: str, phone: str, contact_email: str) -> User:
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    user.contact_email = contact_email
    user.save(update_fields=["first_name", "last_name", "phone", "contact_email"])
    return user


@transaction.atomic
def user_accept_cgu(*, user: User) -> None:
    if user.cgu_accepted_at is None:
        user.cgu_accepted_at = timezone.now()
        user.save(update_fields=["cgu_accepted_at"])


def activation_resend(*, request, email: str) -> bool:
    """Send a new activation link to a not yet activated account; rate limited per address.

    Returns whether a message was sent. The caller shows the same answer either way, so the page
    does not reveal which addresses have an account.
    """
    from allauth.account.internal.flows.email_verification import send_verification_email_to_address
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False, user__is_active=True).first()
    if address is None:
        return False
    return send_verification_email_to_address(request, address)
