"""Reads about invoices that carry rules, above all access.

An invoice is visible to the active members of its supplier structure only: ``invoice_for_user``
is the one way a view turns an id from a URL into an invoice, so a member of another structure, or
a pending, refused or detached member, gets a 404.
"""

import re

from django.db.models import Q, QuerySet
from django.http import Http404

from invoices import workflow
from invoices.models import Invoice, InvoiceAttachment, InvoiceEvent
from invoices.workflow import Status
from structures import access
from structures.models import Service, Structure

RECIPIENT_SEARCH_LIMIT = 20
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"\s+")


def invoices_for_user(user) -> QuerySet[Invoice]:
    if not user.is_authenticated:
        return Invoice.objects.none()
    return Invoice.objects.filter(supplier_id__in=access.active_structure_ids(user))


def invoice_for_user(*, user, invoice_id) -> Invoice:
    """The invoice if the user is an active member of its supplier structure; 404 otherwise."""
    try:
        return invoices_for_user(user).select_related("supplier", "recipient", "recipient_service").get(pk=invoice_id)
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def invoice_history(invoice: Invoice) -> list[InvoiceEvent]:
    """The invoice's events, oldest first, with who acted and the motif."""
    return list(invoice.events.select_related("user", "motif").order_by("created_at", "id"))


# Statuses in which the supplier must act on what the recipient (or the routing) said.
ISSUE_STATUSES = workflow.SUPPLIER_ACTION_STATUSES


def current_issue(invoice: Invoice, events: list[InvoiceEvent]) -> InvoiceEvent | None:
    """The event that put the invoice in its current suspension, rejection or À recycler status
    (its motif and comment are shown prominently)."""
    if invoice.status not in ISSUE_STATUSES:
        return None
    for event in reversed(events):
        if event.to_status == invoice.status and event.from_status != invoice.status:
            return event
    return None


def attachment_for_user(*, user, invoice_id, attachment_id) -> InvoiceAttachment:
    invoice = invoice_for_user(user=user, invoice_id=invoice_id)
    try:
        return invoice.attachments.get(pk=attachment_id)
    except (InvoiceAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def invoice_list(*, supplier: Structure, tab: str = "") -> QuerySet[Invoice]:
    """The supplier's invoices for the list page ("brouillons", "envoyees" or all), newest first,
    with only the columns the page shows."""
    invoices = Invoice.objects.filter(supplier=supplier)
    if tab == "brouillons":
        invoices = invoices.filter(status=Status.BROUILLON)
    elif tab == "envoyees":
        invoices = invoices.exclude(status=Status.BROUILLON)
    return (
        invoices.select_related("recipient")
        .only(
            "id",
            "identifier",
            "number",
            "invoice_type",
            "invoice_date",
            "amount_ttc",
            "status",
            "deposit_mode",
            "created_at",
            "sent_at",
            "supplier_id",
            "recipient__id",
            "recipient__name",
            "recipient__identifier",
        )
        .order_by("-created_at", "-id")
    )


def recipient_search(query: str) -> QuerySet[Structure]:
    """Active public recipients of the directory: a SIRET (prefix of at least 3 digits, spaces
    ignored) or a part of the raison sociale (at least 2 characters)."""
    query = _SPACES.sub(" ", (query or "").strip())
    compact = query.replace(" ", "")
    recipients = Structure.objects.public().active()
    if _DIGITS.fullmatch(compact):
        if len(compact) < 3:
            return Structure.objects.none()
        recipients = recipients.filter(identifier__startswith=compact)
    elif len(query) >= 2:
        recipients = recipients.filter(name__icontains=query)
    else:
        return Structure.objects.none()
    return recipients.order_by("name", "identifier")[:RECIPIENT_SEARCH_LIMIT]


def recipient_services(recipient: Structure | None) -> QuerySet[Service]:
    """The services an invoice may be addressed to: active, never FACTURES_PUBLIQUES."""
    if recipient is None:
        return Service.objects.none()
    return (
        Service.objects.filter(structure=recipient, is_active=True).exclude(code=Service.RESERVED_CODE).order_by("code")
    )


def public_recipient(identifier: str) -> Structure | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return Structure.objects.public().filter(Q(identifier=identifier)).first()


# --- Financial services of public recipients (the admin, issue 5) ------------------------------


def recipients_for_staff(user) -> QuerySet[Structure]:
    """Public structures (recipients) whose invoices the user handles (rule in structures/access.py)."""
    return access.recipient_structures_for_staff(user)


def invoices_for_recipient_staff(user, invoices: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Invoices received by the user's recipient structures, never drafts (a draft belongs to its
    supplier alone). A superuser sees every recipient's. ``invoices`` narrows a given queryset."""
    invoices = (Invoice.objects.all() if invoices is None else invoices).exclude(status=Status.BROUILLON)
    if not user.is_authenticated or not user.is_active:
        return invoices.none()
    if user.is_superuser:
        return invoices
    # The ids first (an agent has a handful of structures): PostgreSQL estimates a literal list
    # well, where ``recipient_id IN (subquery)`` was estimated at 633 rows instead of 114,000 and
    # read the whole table (issue 14).
    return invoices.filter(recipient_id__in=list(recipients_for_staff(user).values_list("pk", flat=True)))
