"""E-mails about sollicitations, both ways, rendered from ``templates/emails/sollicitations/`` and
written to the durable outbox (``accounts.services.email_enqueue``) in the caller's transaction.

- To support (``settings.SUPPORT_EMAIL``): a new sollicitation, a reply of the requester; with the
  link to the sollicitation's page in the admin.
- To the requester: support's answer, the closure; a visitor of "Nous contacter" also gets an
  acknowledgment. The requester is the author while they can still see the sollicitation (active
  member of its structure, or the author of a personal request), else the structure's
  gestionnaires principaux; a visitor is their ``contact_email``. Links are absolute
  (``chorus.links.absolute_url``, on ``PORTAL_BASE_URL``).
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.services import email_enqueue
from chorus.links import absolute_url
from invoices.models import Sollicitation, SollicitationMessage
from structures import access


def thread_url(sollicitation: Sollicitation) -> str:
    return absolute_url(reverse("sollicitations:detail", args=[sollicitation.pk]))


def admin_url(sollicitation: Sollicitation) -> str:
    return absolute_url(reverse("admin:invoices_sollicitation_change", args=[sollicitation.pk]))


def requester_label(sollicitation: Sollicitation) -> str:
    if sollicitation.author is not None:
        user = sollicitation.author
        name = user.get_full_name()
        return f"{name} <{user.email}>" if name else user.email
    return f"{sollicitation.contact_name} <{sollicitation.contact_email}>"


def requesters(sollicitation: Sollicitation) -> list[tuple[str, str]]:
    """(first name, address) of the people told about support's answers, each address once."""
    if sollicitation.is_visitor:
        return [(sollicitation.contact_name, sollicitation.contact_email)]
    author = sollicitation.author
    if sollicitation.structure_id is None or access.is_active_member(author, sollicitation.structure_id):
        users = [author] if author.is_active else []
    else:  # the author left the structure: its gestionnaires principaux are told instead
        users = [m.user for m in access.main_manager_memberships(sollicitation.structure_id) if m.user.is_active]
    seen, result = set(), []
    for user in users:
        address = (user.notification_email or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append((user.first_name, address))
    return result


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"emails/sollicitations/{template}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    return subject, render_to_string(f"emails/sollicitations/{template}_message.txt", context)


def _context(sollicitation: Sollicitation, message: SollicitationMessage | None) -> dict:
    return {
        "sollicitation": sollicitation,
        "message": message,
        "attachment_names": [a.original_filename for a in message.attachments.all()] if message else [],
        "status_label": sollicitation.get_status_display(),
        "portal_url": absolute_url("/"),
        "contact_url": absolute_url(reverse("contact:form")),
        "help_url": absolute_url(reverse("aide:index")),
        "thread_url": "" if sollicitation.is_visitor else thread_url(sollicitation),
    }


def _to_requesters(template: str, sollicitation: Sollicitation, message: SollicitationMessage | None) -> int:
    context = _context(sollicitation, message)
    sent = 0
    for first_name, address in requesters(sollicitation):
        subject, body = _render(template, {**context, "recipient_name": first_name})
        email_enqueue(message=EmailMessage(subject=subject, body=body, to=[address]))
        sent += 1
    return sent


def _to_support(template: str, sollicitation: Sollicitation, message: SollicitationMessage, **extra) -> None:
    context = {
        **_context(sollicitation, message),
        "requester_label": requester_label(sollicitation),
        "admin_url": admin_url(sollicitation),
        **extra,
    }
    subject, body = _render(template, context)
    reply_to = [sollicitation.contact_email] if sollicitation.is_visitor else []
    email_enqueue(message=EmailMessage(subject=subject, body=body, to=[settings.SUPPORT_EMAIL], reply_to=reply_to))


def notify_opened(sollicitation: Sollicitation, message: SollicitationMessage) -> None:
    """A new sollicitation: support is told; a visitor gets an acknowledgment."""
    _to_support("support_opened", sollicitation, message)
    if sollicitation.is_visitor:
        _to_requesters("received", sollicitation, None)


def notify_requester_reply(sollicitation: Sollicitation, message: SollicitationMessage, *, reopened: bool) -> None:
    _to_support("support_replied", sollicitation, message, reopened=reopened)


def notify_answered(sollicitation: Sollicitation, message: SollicitationMessage) -> int:
    return _to_requesters("answered", sollicitation, message)


def notify_closed(sollicitation: Sollicitation) -> int:
    return _to_requesters("closed", sollicitation, None)
