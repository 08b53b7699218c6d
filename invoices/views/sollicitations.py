"""Sollicitations (support requests) of the connected portal, and "Nous contacter" for visitors.

- ``sollicitation_list``: "Sollicitations émises" of the current structure (or, tab
  « Demandes personnelles », those the user opened without a structure), by keyset pages on the
  last message (``invoices/keyset.py``): no COUNT, no OFFSET. Queries: session, user, memberships
  (current structure), the personal-requests EXISTS, the page: 5 whatever the page (plus the
  request's savepoint).
- ``sollicitation_create``: a new one, optionally about an invoice (``?facture=<id>`` from the
  invoice page: the sollicitation then belongs to that invoice's structure).
- ``sollicitation_detail``: the thread, and the requester's reply form (a closed one reopens).
  Queries: session, user, the sollicitation (access in the same query), its messages, their
  files, the memberships for the navigation: 6, whatever the length of the thread.
- ``sollicitation_attachment``: a file of the thread, through ``invoices.downloads``.
- ``contact``: "Nous contacter" (visitors; a logged-in user is sent to the sollicitation form),
  with a honeypot field and limits per IP and per e-mail (``invoices.contact_limits``).

A sollicitation the user may not see (another structure's, a visitor's) is a 404.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chorus.ids import parse_id
from invoices import contact_limits, keyset, selectors, services, workflow
from invoices.downloads import download
from invoices.forms import attach_errors
from invoices.forms.sollicitations import ContactForm, SollicitationForm, SollicitationReplyForm
from invoices.models import SollicitationCategory, SollicitationStatus
from structures import selectors as structure_selectors

logger = logging.getLogger("accounts.security")

PAGE_SIZE = 20
SORT = keyset.SortKey("last_message_at")
PERSONAL_TAB = "personnelles"
STATUS_CSS = {
    SollicitationStatus.OPEN: "fr-badge--info",
    SollicitationStatus.IN_PROGRESS: "fr-badge--new",
    SollicitationStatus.CLOSED: "fr-badge--success",
}
_ISSUE_STATUSES = {workflow.Status.SUSPENDUE, workflow.Status.REJETEE, workflow.Status.A_RECYCLER}


def status_css(status: str) -> str:
    return STATUS_CSS.get(status, "")


@login_required
def sollicitation_list(request):
    structure = structure_selectors.current_structure(request)
    personal = structure is None or request.GET.get("onglet") == PERSONAL_TAB
    rows = selectors.sollicitation_list(structure=None if personal else structure, user=request.user)
    page = keyset.paginate(
        rows,
        SORT,
        descending=True,
        page_size=PAGE_SIZE,
        after=request.GET.get("apres"),
        before=request.GET.get("avant"),
    )
    has_personal = personal or selectors.has_personal_sollicitations(request.user)
    return render(
        request,
        "invoices/sollicitation_list.html",
        {
            "page_title": _("Sollicitations émises"),
            "structure": structure,
            "personal": personal,
            "show_tabs": structure is not None and has_personal,
            "rows": [{"sollicitation": s, "css": status_css(s.status)} for s in page.rows],
            "page": page,
            "first_url": keyset.page_query(request.GET) if page.has_previous else "",
            "next_url": keyset.page_query(request.GET, apres=page.next_cursor) if page.has_next else "",
            "previous_url": keyset.page_query(request.GET, avant=page.previous_cursor) if page.has_previous else "",
        },
    )


@login_required
def sollicitation_create(request):
    """A new sollicitation: for the current structure, for the structure of the invoice named by
    ``?facture=`` (404 unless the user is an active member of it), or personal (no structure)."""
    structure = structure_selectors.current_structure(request)
    invoice = None
    invoice_id = request.GET.get("facture")
    if invoice_id:
        invoice = selectors.invoice_for_user(user=request.user, invoice_id=parse_id(invoice_id))
        structure = invoice.supplier
    bound = request.method == "POST"
    initial = {}
    if invoice is not None:
        initial = {
            "invoice_reference": invoice.identifier or invoice.number,
            "subject": _("Facture %(ref)s") % {"ref": invoice.number or invoice.identifier},
            "category": SollicitationCategory.REJECTION
            if invoice.status in _ISSUE_STATUSES
            else SollicitationCategory.FOLLOW_UP,
        }
    form = SollicitationForm(
        request.POST if bound else None, request.FILES if bound else None, supplier=structure, initial=initial
    )
    if bound and form.is_valid():
        try:
            sollicitation = services.sollicitation_open(
                user=request.user,
                structure=structure,
                category=form.cleaned_data["category"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                invoice=getattr(form, "invoice", None),
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            attach_errors(form, {"invoice_reference" if k == "invoice" else k: v for k, v in exc.message_dict.items()})
        else:
            messages.success(
                request,
                _(
                    "Votre sollicitation %(ref)s est envoyée au support. Vous serez prévenu(e) par e-mail de sa "
                    "réponse, que vous lirez ici."
                )
                % {"ref": sollicitation.reference},
            )
            return redirect("sollicitations:detail", sollicitation.pk)
    return render(
        request,
        "invoices/sollicitation_form.html",
        {
            "page_title": _("Nouvelle sollicitation"),
            "form": form,
            "structure": structure,
            "invoice": invoice,
        },
    )


@login_required
def sollicitation_detail(request, sollicitation_id):
    sollicitation = selectors.sollicitation_for_user(user=request.user, sollicitation_id=sollicitation_id)
    bound = request.method == "POST"
    form = SollicitationReplyForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        reopened = sollicitation.is_closed
        try:
            services.sollicitation_reply(
                sollicitation=sollicitation,
                user=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            attach_errors(form, exc.message_dict)
        else:
            messages.success(
                request,
                _("Votre réponse est envoyée au support : la sollicitation est rouverte.")
                if reopened
                else _("Votre réponse est envoyée au support."),
            )
            return redirect(reverse("sollicitations:detail", args=[sollicitation.pk]) + "#fil")
    return render(
        request,
        "invoices/sollicitation_detail.html",
        {
            "page_title": _("Sollicitation %(ref)s") % {"ref": sollicitation.reference},
            "sollicitation": sollicitation,
            "status_css": status_css(sollicitation.status),
            "thread": selectors.sollicitation_thread(sollicitation),
            "form": form,
        },
    )


@login_required
@require_GET
def sollicitation_attachment(request, sollicitation_id, attachment_id):
    attachment = selectors.sollicitation_attachment_for_user(
        user=request.user, sollicitation_id=sollicitation_id, attachment_id=attachment_id
    )
    return download(attachment.file, filename=attachment.original_filename, content_type="application/octet-stream")


def contact(request):
    """ "Nous contacter" for visitors without an account."""
    if request.user.is_authenticated:
        messages.info(
            request,
            _("Vous êtes connecté(e) : écrivez au support par une sollicitation, dont vous suivrez la réponse ici."),
        )
        return redirect("sollicitations:create")
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.is_robot:
            logger.warning("contact form: honeypot filled, message dropped (address %r)", form.cleaned_data["email"])
            messages.success(request, _("Votre message est envoyé au support."))
            return redirect("contact:form")
        wait = contact_limits.reserve(request, form.cleaned_data["email"])
        if wait:
            form.add_error(None, contact_limits.wait_message(wait))
        else:
            try:
                sollicitation = services.sollicitation_contact(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    siret=form.cleaned_data["siret"],
                    category=form.cleaned_data["category"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                attach_errors(form, exc.message_dict)
            else:
                messages.success(
                    request,
                    _(
                        "Votre message est envoyé au support sous la référence %(ref)s. Un accusé de réception part "
                        "à %(email)s ; la réponse vous sera envoyée à cette adresse."
                    )
                    % {"ref": sollicitation.reference, "email": sollicitation.contact_email},
                )
                return redirect("contact:form")
    return render(request, "pages/contact.html", {"page_title": _("Nous contacter"), "form": form})
