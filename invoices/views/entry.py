"""The invoice form (typed invoice or deposited PDF): mandate, create, edit a draft, "Valider et
envoyer", delete a draft, remove an attachment."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from invoices import selectors, services
from invoices.forms import (
    InvoiceForm,
    LineFormSet,
    VatLineFormSet,
    attach_errors,
    formset_rows,
    initial_from_invoice,
    line_initial,
    vat_initial,
)
from invoices.totals import compute_totals
from invoices.views._common import current_supplier, no_structure
from invoices.views.structured import structured_context
from structures import services as structure_services
from structures.forms import MandateForm


@login_required
def invoice_mandate(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    if supplier.mandate_accepted_at is not None:
        return redirect("invoices:create")
    form = MandateForm(
        request.POST if request.method == "POST" else None, needs_cgu=request.user.cgu_accepted_at is None
    )
    if request.method == "POST" and form.is_valid():
        structure_services.structure_accept_mandate(structure=supplier, user=request.user)
        messages.success(request, _("Le mandat de facturation est accepté pour %(name)s.") % {"name": supplier.name})
        return redirect("invoices:create")
    return render(
        request,
        "invoices/invoice_mandate.html",
        {"form": form, "supplier": supplier, "page_title": _("Mandat de facturation")},
    )


@login_required
def invoice_create(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    if supplier.mandate_accepted_at is None:
        return redirect("invoices:mandate")
    return _invoice_form_page(request, supplier=supplier, invoice=None)


@login_required
def invoice_edit(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not invoice.is_draft:
        messages.info(request, _("Cette facture a été envoyée : elle n'est plus modifiable."))
        return redirect("invoices:detail", invoice.pk)
    return _invoice_form_page(request, supplier=invoice.supplier, invoice=invoice)


def _build_forms(request, *, supplier, invoice, entry: bool, bound: bool):
    data = request.POST if bound else None
    files = request.FILES if bound else None
    initial = None
    if not bound and request.GET.get("destinataire"):
        initial = {**(initial_from_invoice(invoice) if invoice else {}), "recipient_query": request.GET["destinataire"]}
    kwargs = {"supplier": supplier, "invoice": invoice, "entry": entry}
    if initial is not None:
        kwargs["initial"] = initial
    form = InvoiceForm(data, files, **kwargs)
    if invoice is not None and invoice.is_structured:
        formset = None  # the VAT breakdown is the XML's, shown read-only
    elif entry:
        formset = LineFormSet(data, prefix="lines", initial=line_initial(invoice) if invoice and not bound else None)
    else:
        formset = VatLineFormSet(data, prefix="vat", initial=vat_initial(invoice) if invoice and not bound else None)
    return form, formset


def _invoice_form_page(request, *, supplier, invoice, errors: dict | None = None):
    entry = invoice.is_entry if invoice is not None else True
    bound = request.method == "POST" and errors is None
    form, formset = _build_forms(request, supplier=supplier, invoice=invoice, entry=entry, bound=bound)
    extra_errors = attach_errors(form, errors) if errors else {}
    if bound:
        action = request.POST.get("action", "draft")
        form.wants_search = action == "search"
        if form.is_valid() and (formset is None or formset.is_valid()):
            rows = formset_rows(formset) if formset is not None else None
            fields = form.draft_fields()
            try:
                with transaction.atomic():
                    if invoice is None:
                        invoice = services.invoice_create(supplier=supplier, user=request.user, lines=rows, **fields)
                    elif entry:
                        invoice = services.invoice_save_draft(invoice=invoice, user=request.user, lines=rows, **fields)
                    else:
                        invoice = services.invoice_save_draft(
                            invoice=invoice, user=request.user, vat_lines=rows, **fields
                        )
            except ValidationError as exc:
                extra_errors = attach_errors(form, exc.message_dict)
            else:
                extra_errors = _after_save(request, form, invoice, action)
                if extra_errors is None:
                    return _redirect_after_save(request, form, invoice, action)
    return _render_form(request, form, formset, supplier=supplier, invoice=invoice, entry=entry, errors=extra_errors)


def _after_save(request, form, invoice, action) -> dict | None:
    """Attachments, then sending if asked; the errors to show (the draft is saved), or None."""
    files = form.cleaned_data.get("attachments") or []
    if files:
        try:
            with transaction.atomic():
                services.invoice_add_attachments(invoice=invoice, user=request.user, files=files)
        except ValidationError as exc:
            return attach_errors(form, exc.message_dict)
    if action == "send":
        try:
            with transaction.atomic():
                services.invoice_send(invoice=invoice, user=request.user)
        except ValidationError as exc:
            return attach_errors(form, exc.message_dict)
    return None


def _redirect_after_save(request, form, invoice, action):
    if action == "send":
        invoice.refresh_from_db()
        messages.success(
            request,
            _("La facture n° %(number)s est déposée sous l'identifiant %(identifier)s.")
            % {"number": invoice.number, "identifier": invoice.identifier},
        )
        return redirect("invoices:detail", invoice.pk)
    url = reverse("invoices:edit", args=[invoice.pk])
    if action == "search":
        query = (form.cleaned_data.get("recipient_query") or "").strip()
        if query and len(form.candidates) != 1:
            return redirect(f"{url}?{urlencode({'destinataire': query})}#destinataire")
        return redirect(f"{url}#destinataire")
    if action == "add_line":
        return redirect(f"{url}#lignes")
    messages.success(request, _("Le brouillon est enregistré."))
    return redirect(url)


def _render_form(request, form, formset, *, supplier, invoice, entry, errors):
    if invoice is None:
        action_url = reverse("invoices:create")
        title = _("Saisir une facture")
    else:
        action_url = reverse("invoices:edit", args=[invoice.pk])
        title = _("Compléter la facture") if not entry else _("Saisir une facture")
    computed = None
    if entry and invoice is not None:
        computed = compute_totals(invoice.lines.all())
    structured = structured_context(invoice) if invoice is not None and invoice.is_structured else None
    return render(
        request,
        "invoices/invoice_form.html",
        {
            "page_title": title,
            "form": form,
            "formset": formset,
            "invoice": invoice,
            "supplier": supplier,
            "entry": entry,
            "action_url": action_url,
            "extra_errors": errors or {},
            "computed": computed,
            "attachments": list(invoice.attachments.all()) if invoice is not None else [],
            "found": invoice.extracted_data if invoice is not None else {},
            "max_attachment_size": settings.INVOICE_MAX_ATTACHMENT_SIZE,
            "workspace_tab": "create" if invoice is None else "",
            "structured": structured,
            "original_warning": services.original_invoice_warning(invoice) if invoice is not None else "",
            "rate_warnings": services.foreign_rate_warnings(invoice.vat_lines.all())
            if invoice is not None and not entry and structured is None
            else [],
        },
    )


@login_required
@require_POST
def invoice_send(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not invoice.is_draft:
        messages.info(request, _("Cette facture a déjà été envoyée."))
        return redirect("invoices:detail", invoice.pk)
    try:
        with transaction.atomic():
            invoice = services.invoice_send(invoice=invoice, user=request.user)
    except ValidationError as exc:
        messages.error(request, _("La facture ne peut pas être envoyée : corrigez les erreurs signalées."))
        return _invoice_form_page(request, supplier=invoice.supplier, invoice=invoice, errors=exc.message_dict)
    messages.success(
        request,
        _("La facture n° %(number)s est déposée sous l'identifiant %(identifier)s.")
        % {"number": invoice.number, "identifier": invoice.identifier},
    )
    return redirect("invoices:detail", invoice.pk)


@login_required
def invoice_delete(request, invoice_id):
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not invoice.is_draft:
        messages.error(request, _("Une facture envoyée ne peut pas être supprimée."))
        return redirect("invoices:detail", invoice.pk)
    if request.method == "POST":
        services.invoice_delete(invoice=invoice, user=request.user)
        messages.success(request, _("Le brouillon est supprimé."))
        return redirect(f"{reverse('invoices:list')}?onglet=brouillons")
    return render(
        request,
        "invoices/invoice_confirm_delete.html",
        {"invoice": invoice, "page_title": _("Supprimer le brouillon")},
    )


@login_required
@require_POST
def attachment_delete(request, invoice_id, attachment_id):
    attachment = selectors.attachment_for_user(user=request.user, invoice_id=invoice_id, attachment_id=attachment_id)
    try:
        services.invoice_remove_attachment(attachment=attachment, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("invoices:detail", invoice_id)
    messages.success(request, _("La pièce jointe « %(name)s » est retirée.") % {"name": attachment.original_filename})
    return redirect("invoices:edit", invoice_id)
