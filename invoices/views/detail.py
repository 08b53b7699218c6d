"""The invoice page (details, history, what the supplier may do) and its downloads: PDF, attachments,
deposit certificate."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from invoices import rendering, selectors
from invoices.views.actions import supplier_actions
from invoices.workflow import Status


@login_required
def invoice_detail(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    events = selectors.invoice_history(invoice)
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "page_title": _("Facture %(ref)s") % {"ref": invoice.identifier or invoice.display_reference},
            "invoice": invoice,
            "vat_lines": list(invoice.vat_lines.all()),
            "lines": list(invoice.lines.all()) if invoice.is_entry else [],
            "attachments": list(invoice.attachments.all()),
            "events": events,
            "issue": selectors.current_issue(invoice, events),
            "supplier_actions": supplier_actions(invoice),
        },
    )


def _download(content, *, filename: str, content_type: str):
    """A download response: always an attachment, never cached by shared caches, sandboxed."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def invoice_file(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if invoice.pdf:
        handle = invoice.pdf.storage.open(invoice.pdf.name, "rb")
        return _download(
            handle, filename=invoice.pdf_original_filename or "facture.pdf", content_type="application/pdf"
        )
    if invoice.is_entry:  # a typed draft: a preview of the PDF it will become
        return _download(
            rendering.render_invoice_pdf(invoice),
            filename=f"apercu-facture-{invoice.number or invoice.pk}.pdf",
            content_type="application/pdf",
        )
    raise Http404


@login_required
@require_GET
def attachment_file(request, invoice_id, attachment_id):
    attachment = selectors.attachment_for_user(user=request.user, invoice_id=invoice_id, attachment_id=attachment_id)
    handle = attachment.file.storage.open(attachment.file.name, "rb")
    return _download(handle, filename=attachment.original_filename, content_type="application/octet-stream")


@login_required
@require_GET
def invoice_certificate(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if invoice.status == Status.BROUILLON or not invoice.certificate_fingerprint:
        raise Http404
    return _download(
        rendering.render_certificate_pdf(invoice),
        filename=f"certificat-de-depot-{invoice.identifier}.pdf",
        content_type="application/pdf",
    )
