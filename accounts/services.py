"""Writes about accounts that matter, shared by views, admin and commands."""

from allauth.account.internal.flows.email_verification import handle_verification_email_rate_limit
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tasks import send_email
from chorus.queue import enqueue_on_commit

CONTACT_EMAIL_SALT = "accounts.contact_email"


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
