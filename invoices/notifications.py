"""E-mails about invoices: one event (status change), the reminder of a suspension, the daily
digest. Rendered from ``templates/emails/invoices/`` and handed to ``accounts.send_email`` through
``accounts.services.email_enqueue`` (one message per person: addresses are not shared).

Who is told about a supplier's invoice: the user who sent it (while still an active member) and
the structure's active members who chose "Recevoir les notifications des factures de la
structure"; each address once (``user.notification_email``).
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import email_enqueue, emails_write_for_caller
from chorus import formats
from chorus.links import absolute_url
from invoices import workflow
from invoices.models import Invoice, InvoiceEvent
from structures import access
from structures.models import MembershipStatus


def invoice_url(invoice: Invoice) -> str:
    return absolute_url(reverse("invoices:detail", args=[invoice.pk]))


def invoice_recipients(invoice: Invoice) -> list[User]:
    """The people to tell about ``invoice``, deduplicated by notification address."""
    return recipients_by_invoice([invoice])[invoice.pk]


def recipients_by_invoice(invoices: list[Invoice]) -> dict[int, list[User]]:
    """``invoice_recipients`` of each invoice, by invoice id, in two queries for all of them (the
    active members of their suppliers, then the users)."""
    members: dict[int, list] = {}
    for membership in access.active_members_of({invoice.supplier_id for invoice in invoices}):
        members.setdefault(membership.structure_id, []).append(membership)
    wanted: dict[int, set[int]] = {}
    for invoice in invoices:
        of_supplier = members.get(invoice.supplier_id, [])
        user_ids = {m.user_id for m in of_supplier if m.notify_invoice_events}
        if invoice.sent_by_id and invoice.sent_by_id in {m.user_id for m in of_supplier}:
            user_ids.add(invoice.sent_by_id)
        wanted[invoice.pk] = user_ids
    every_id = set().union(*wanted.values()) if wanted else set()
    users = list(User.objects.filter(pk__in=every_id, is_active=True).order_by("pk")) if every_id else []
    result: dict[int, list[User]] = {}
    for invoice in invoices:
        seen: set[str] = set()
        result[invoice.pk] = []
        for user in users:
            if user.pk not in wanted[invoice.pk]:
                continue
            address = (user.notification_email or "").strip().lower()
            if address and address not in seen:
                seen.add(address)
                result[invoice.pk].append(user)
    return result


def _base_context(user) -> dict:
    return {
        "recipient": user,
        "portal_url": absolute_url("/"),
        "preferences_url": absolute_url(reverse("invoices:notifications")),
    }


def _message(*, template: str, user, context: dict) -> EmailMessage:
    context = {**_base_context(user), **context}
    subject = render_to_string(f"emails/invoices/{template}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    body = render_to_string(f"emails/invoices/{template}_message.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.notification_email])


def event_messages(event: InvoiceEvent, *, recipients: list[User] | None = None) -> list[EmailMessage]:
    """The e-mails for one event; the subject names the invoice and its new status. ``recipients``:
    its ``invoice_recipients``, when the caller read them for many events at once."""
    invoice = event.invoice
    if recipients is None:
        recipients = invoice_recipients(invoice)
    context = {
        "event": event,
        "invoice": invoice,
        "kind": event.to_status,
        "status_label": workflow.status_label(event.to_status),
        "reform_code": workflow.reform_code(event.to_status),
        "invoice_url": invoice_url(invoice),
        "amount_ttc": formats.money(invoice.amount_ttc),
    }
    return [_message(template="event", user=user, context=context) for user in recipients]


def reminder_messages(invoice: Invoice, *, days: int) -> list[EmailMessage]:
    """The reminder of an unanswered suspension (the suspension event gives motif and comment)."""
    event = (
        invoice.events.filter(to_status=workflow.Status.SUSPENDUE)
        .exclude(from_status=workflow.Status.SUSPENDUE)
        .select_related("motif")
        .order_by("-created_at", "-id")
        .first()
    )
    context = {"invoice": invoice, "event": event, "days": days, "invoice_url": invoice_url(invoice)}
    return [_message(template="reminder", user=user, context=context) for user in invoice_recipients(invoice)]


def send(messages: list[EmailMessage]) -> int:
    for message in messages:
        email_enqueue(message=message)
    return len(messages)


def write(messages: list[EmailMessage]) -> list[int]:
    """Write the e-mails to the outbox for the calling worker to send after its commit, in one
    INSERT; their ids."""
    return [row.pk for row in emails_write_for_caller(messages=messages)]


# --- Daily digest -----------------------------------------------------------------------------


def digest_users():
    """Active users who chose the daily digest on at least one active membership."""
    return (
        User.objects.filter(is_active=True, memberships__status=MembershipStatus.ACTIVE, memberships__daily_digest=True)
        .distinct()
        .order_by("pk")
    )


def digest_groups(user, *, since) -> list[dict]:
    """The events since ``since`` on the invoices of the user's digest structures, by structure."""
    memberships = (
        access.active_memberships(user)
        .filter(daily_digest=True)
        .select_related("structure")
        .order_by("structure__name")
    )
    structures = [m.structure for m in memberships]
    events = (
        InvoiceEvent.objects.filter(invoice__supplier__in=structures, created_at__gte=since)
        .select_related("invoice", "motif")
        .order_by("created_at", "id")
    )
    by_structure: dict[int, list] = {}
    for event in events:
        by_structure.setdefault(event.invoice.supplier_id, []).append(event)
    return [{"structure": s, "events": by_structure[s.pk]} for s in structures if s.pk in by_structure]


def digest_message(user, *, groups: list[dict], since, day) -> EmailMessage:
    count = sum(len(g["events"]) for g in groups)
    context = {
        "groups": groups,
        "count": count,
        "since": since,
        "day": day,
        "list_url": absolute_url(reverse("invoices:list")),
    }
    return _message(template="digest", user=user, context=context)


def digest_window(now=None):
    now = now or timezone.now()
    return now - timedelta(hours=24), timezone.localdate(now)
