"""Writes about accounts that matter, shared by views, admin and commands."""

from allauth.account.internal.flows.email_verification import handle_verification_email_rate_limit
from allauth.account.models import EmailAddress
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.tasks import send_email
from chorus.queue import enqueue_on_commit


def email_enqueue(*, message: EmailMessage) -> None:
    """Hand a rendered message to the ``accounts.send_email`` task once the transaction commits.

    Rendering happens here, with the request's context; the worker only sends. If the broker is
    down, the message is sent from this process instead of being lost.
    """
    html = None
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                html = content
    body = message.body
    if message.content_subtype == "html" and html is None:
        html, body = body, ""
    enqueue_on_commit(
        send_email,
        run_here_if_broker_down=True,
        subject=message.subject,
        body=body,
        html=html,
        to=list(message.to),
        from_email=message.from_email,
        headers=dict(message.extra_headers),
    )


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

    Returns whether a message was sent. Nothing else tells the cases apart (no flash message of
    allauth's own), so the page does not reveal which addresses have an account.
    """
    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False, user__is_active=True).first()
    if address is None or not handle_verification_email_rate_limit(request, address.email):
        return False
    address.send_confirmation(request)
    return True
