"""The invoice page (details, history, what the supplier may do) and its downloads: PDF, attachments,
deposit certificate."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from invoices import figures, rendering, rows, selectors, workflow
from invoices.downloads import download
from invoices.models import Invoice
from invoices.status_texts import status_text
from invoices.timeline import choice_label
from invoices.views.actions import supplier_actions
from invoices.workflow import Status


def event_actor(event) -> str:
    """Who acted, as the supplier reads it: a person of the structure, the recipient's financial
    service (with the agent's name), or the system."""
    name = (event.user.get_full_name() or event.user.email) if event.user_id else ""
    if event.actor_kind == workflow.Actor.RECIPIENT:
        return (
            _("Service financier du destinataire (%(name)s)") % {"name": name}
            if name
            else _("Service financier du destinataire")
        )
    if event.actor_kind == workflow.Actor.SYSTEM and not name:
        return _("Système (Chorus Pro)")
    return name or str(event.actor_display)


# What the page shows of the invoice's relations (their other columns are not read).
SHOWN_RELATED = {
    "recipient": ("name", "identifier", "payment_delay_days"),
    "recipient_service": ("code", "name"),
    "sent_by": ("first_name", "last_name", "email"),
}


@login_required
def invoice_detail(request, invoice_id):
    invoice = selectors.invoice_for_request(request, invoice_id=invoice_id, related=("sent_by",), shown=SHOWN_RELATED)
    events = selectors.invoice_history(invoice)
    vat_lines, attachments, corrections = selectors.invoice_page_files(invoice, 20)
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "page_title": _("%(label)s %(ref)s")
            % {"label": invoice.document_label, "ref": invoice.identifier or invoice.display_reference},
            "invoice": invoice,
            "vat_lines": vat_lines,
            "lines": selectors.invoice_lines(invoice) if invoice.is_entry else [],
            "attachments": attachments,
            "events": events,
            "timeline": [
                {"event": e, "actor": event_actor(e), "meaning": status_text(e.to_status).meaning} for e in events
            ],
            "status_text": status_text(invoice.status),
            # Labels of the invoice's choices, each read once per process (``get_…_display`` builds
            # the dict of the field's choices at each call).
            "status_label": rows.status_label(invoice.status),
            "cadre_label": choice_label(Invoice, "cadre", invoice.cadre),
            "source_syntax_label": choice_label(Invoice, "source_syntax", invoice.source_syntax),
            "payment_mode_label": choice_label(Invoice, "payment_mode", invoice.payment_mode),
            "reform_code": workflow.reform_code(invoice.status),
            "clock": figures.invoice_clock(invoice) if not invoice.is_draft else None,
            "issue": selectors.current_issue(invoice, events),
            "supplier_actions": supplier_actions(invoice),
            # Avoirs linked to this invoice, among the structure's own invoices (indexed FK; few rows).
            "corrections": corrections,
        },
    )


@login_required
@require_GET
def invoice_file(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if invoice.pdf:
        return download(
            invoice.pdf, filename=invoice.pdf_original_filename or "facture.pdf", content_type="application/pdf"
        )
    if invoice.is_entry:  # a typed draft: a preview of the PDF it will become
        return download(
            rendering.render_invoice_pdf(invoice),
            filename=f"apercu-facture-{invoice.number or invoice.pk}.pdf",
            content_type="application/pdf",
        )
    raise Http404


@login_required
@require_GET
def invoice_source_xml(request, invoice_id):
    """The XML of a structured invoice (Factur-X, CII, UBL), to the structure's members only."""
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not invoice.source_xml:
        raise Http404
    name = (invoice.number or str(invoice.pk)).replace("/", "-")
    return download(invoice.source_xml, filename=f"facture-{name}.xml", content_type="application/xml")


@login_required
@require_GET
def attachment_file(request, invoice_id, attachment_id):
    attachment = selectors.attachment_for_user(user=request.user, invoice_id=invoice_id, attachment_id=attachment_id)
    return download(attachment.file, filename=attachment.original_filename, content_type="application/octet-stream")


@login_required
@require_GET
def invoice_certificate(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if invoice.status == Status.BROUILLON or not invoice.certificate_fingerprint:
        raise Http404
    return download(
        rendering.render_certificate_pdf(invoice),
        filename=f"certificat-de-depot-{invoice.identifier}.pdf",
        content_type="application/pdf",
    )
