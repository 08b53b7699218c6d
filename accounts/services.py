"""Writes about accounts that matter, shared by views, admin and commands."""

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.internal.flows.email_verification import handle_verification_email_rate_limit
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import outbox
from accounts.models import OutboxEmail, OutboxState, User
from accounts.tasks import deliver_email
from chorus.queue import enqueue_on_commit

CONTACT_EMAIL_SALT = "accounts.contact_email"


def email_enqueue(*, message: EmailMessage, idempotency_key: str | None = None, by_caller: bool = False) -> OutboxEmail:
    """Write ``message`` to the outbox in the caller's transaction; once it commits, a worker sends it.

    ``by_caller``: the caller is itself a worker and sends the row once its transaction commits
    (``outbox.outbox_deliver``), without one more task per e-mail; if it dies first, the row is
    due again after OUTBOX_SWEEP_AFTER_SECONDS and ``accounts.sweep_outbox`` hands it on.

    Rendering happens before, with the request's context; the worker only sends. If the broker is
    down at the commit, the row waits for ``accounts.sweep_outbox`` (nothing is sent from the web
    process). A deterministic ``idempotency_key`` makes a second call with the same key a no-op.
    """
    row, created = outbox.outbox_write(message=message, idempotency_key=idempotency_key)
    if created and not by_caller:
        enqueue_on_commit(deliver_email, row.pk)
    return row


def emails_write_for_caller(*, messages: list[EmailMessage]) -> list[OutboxEmail]:
    """``email_enqueue(by_caller=True)`` for many messages at once: one INSERT, no task; the
    calling worker sends the rows once its transaction commits (``outbox.outbox_deliver_many``),
    and ``accounts.sweep_outbox`` hands them on if it dies first."""
    return outbox.outbox_write_many(messages=messages)


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


def user_update_profile(*, user: User, first_name: str, last_name: str, phone: str, contact_email: str) -> bool:
    """Save "Mon compte". A new contact address is only recorded as pending and a confirmation
    link is sent to it; returns whether one was sent. Clearing it (or giving the login address)
    takes effect at once: notifications then go to the login address, which is verified."""
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    requested = contact_email.strip().lower()
    send = False
    if requested in ("", user.email.lower()):
        user.contact_email = user.contact_email_pending = ""
    elif requested == user.contact_email.lower():
        user.contact_email_pending = ""
    elif requested != user.contact_email_pending.lower():
        user.contact_email_pending = requested
        send = True
    user.save(update_fields=["first_name", "last_name", "phone", "contact_email", "contact_email_pending"])
    if send:
        _send_contact_email_confirmation(user)
    return send


def contact_email_token(user: User) -> str:
    """A signed link token for the pending contact address of ``user`` (it names both)."""
    return signing.dumps({"u": user.pk, "e": user.contact_email_pending}, salt=CONTACT_EMAIL_SALT)


def _send_contact_email_confirmation(user: User) -> None:
    path = reverse("accounts:contact_email_confirm", kwargs={"token": contact_email_token(user)})
    context = {
        "user": user,
        "email": user.contact_email_pending,
        "confirm_url": settings.PORTAL_BASE_URL.rstrip("/") + path,
        "hours": settings.CONTACT_EMAIL_CONFIRMATION_HOURS,
    }
    subject = render_to_string("emails/accounts/contact_email_confirmation_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    body = render_to_string("emails/accounts/contact_email_confirmation_message.txt", context)
    email_enqueue(message=EmailMessage(subject=subject, body=body, to=[user.contact_email_pending]))


def contact_email_resend(*, user: User) -> bool:
    """Send the confirmation link again, at most once every CONTACT_EMAIL_RESEND_SECONDS."""
    if not user.contact_email_pending:
        return False
    if not cache.add(f"contact-email-resend:{user.pk}", True, settings.CONTACT_EMAIL_RESEND_SECONDS):
        return False
    _send_contact_email_confirmation(user)
    return True


@transaction.atomic
def contact_email_confirm(*, user: User, token: str) -> str:
    """Make the pending contact address the one notifications use; returns it.

    The link must be unexpired, for this account and for the address still pending (a later
    change or a confirmation already done makes older links invalid).
    """
    try:
        data = signing.loads(token, salt=CONTACT_EMAIL_SALT, max_age=settings.CONTACT_EMAIL_CONFIRMATION_HOURS * 3600)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("Ce lien de confirmation a expiré : demandez-en un nouveau depuis « Mon compte »."), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("Ce lien de confirmation est invalide ou incomplet."), code="invalid") from exc
    user = User.objects.select_for_update().get(pk=user.pk)
    if data.get("u") != user.pk:
        raise ValidationError(
            _("Ce lien de confirmation concerne un autre compte que celui connecté."), code="other_user"
        )
    if not user.contact_email_pending or data.get("e") != user.contact_email_pending:
        raise ValidationError(
            _("Ce lien de confirmation n'est plus valable : l'adresse a déjà été confirmée ou remplacée."), code="stale"
        )
    user.contact_email, user.contact_email_pending = user.contact_email_pending, ""
    user.save(update_fields=["contact_email", "contact_email_pending"])
    return user.contact_email


@transaction.atomic
def user_accept_cgu(*, user: User) -> None:
    if user.cgu_accepted_at is None:
        user.cgu_accepted_at = timezone.now()
        user.save(update_fields=["cgu_accepted_at"])


def activation_resend(*, request, email: str) -> bool:
    """Send a new activation link to a not yet activated account; rate limited per address.

    Returns whether a message was sent. Nothing else tells the cases apart (no flash message of
    allauth's own), so the page does not reveal which addresses have an account.
    """
    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False, user__is_active=True).first()
    if address is None or not handle_verification_email_rate_limit(request, address.email):
        return False
    address.send_confirmation(request)
    return True
