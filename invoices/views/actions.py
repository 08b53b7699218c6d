"""What the supplier does on a sent invoice: "Recycler", "Compléter", "Traiter le rejet", and the PDF
of a draft copied from a rejected invoice."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from invoices import selectors, services, workflow
from invoices.forms import CompleteForm, RecycleForm, ReplacePdfForm, attach_errors

# The supplier's page of each supplier transition of the table ("deposer" is the draft's own form).
SUPPLIER_PAGES = {"recycler": "invoices:recycle", "completer": "invoices:complete"}


def supplier_actions(invoice) -> list[tuple[str, str]]:
    """(label, url) of what the supplier may do on this invoice now: the table's supplier
    transitions from its status, and "Traiter le rejet" on a rejected invoice."""
    actions = [
        (t.label, reverse(SUPPLIER_PAGES[t.name], args=[invoice.pk]))
        for t in workflow.available(status=invoice.status, actor=workflow.Actor.SUPPLIER)
        if t.name in SUPPLIER_PAGES
    ]
    if invoice.status == workflow.REJECTED:
        actions.append((_("Traiter le rejet"), reverse("invoices:rejection", args=[invoice.pk])))
    return actions


def _supplier_may(invoice, transition: str) -> bool:
    return workflow.allows(status=invoice.status, transition=transition, actor=workflow.Actor.SUPPLIER)


def _wrong_status(request, invoice, message):
    messages.info(request, message)
    return redirect("invoices:detail", invoice.pk)


def _action_page(request, template, invoice, form, title, **extra):
    events = selectors.invoice_history(invoice)
    return render(
        request,
        template,
        {
            "page_title": title,
            "invoice": invoice,
            "form": form,
            "issue": selectors.current_issue(invoice, events),
            **extra,
        },
    )


@login_required
def invoice_recycle(request, invoice_id):
    """ "Recycler" (À recycler): change only the recipient SIRET, code service and EJ."""
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not _supplier_may(invoice, "recycler"):
        return _wrong_status(request, invoice, _("Seule une facture « À recycler » peut être recyclée."))
    initial = {
        "recipient_siret": invoice.recipient.identifier if invoice.recipient else "",
        "service_code": invoice.recipient_service.code if invoice.recipient_service else "",
        "engagement_number": invoice.engagement_number,
    }
    form = RecycleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.invoice_recycle(
                    invoice=invoice,
                    user=request.user,
                    recipient=form.cleaned_data["recipient"],
                    recipient_service=form.cleaned_data["recipient_service"],
                    engagement_number=form.cleaned_data["engagement_number"],
                    resend_unchanged=form.cleaned_data["resend_unchanged"],
                )
        except ValidationError as exc:
            renamed = {"recipient": "recipient_siret", "recipient_service": "service_code"}
            attach_errors(form, {renamed.get(k, k): v for k, v in exc.message_dict.items()})
        except workflow.TransitionError as exc:
            attach_errors(form, {"__all__": [str(exc)]})
        else:
            messages.success(
                request,
                _("La facture %(identifier)s est recyclée : elle est de nouveau en cours d'acheminement.")
                % {"identifier": invoice.identifier},
            )
            return redirect("invoices:detail", invoice.pk)
    return _action_page(request, "invoices/invoice_recycle.html", invoice, form, _("Recycler la facture"))


@login_required
def invoice_complete(request, invoice_id):
    """ "Compléter" (Suspendue): attachments and/or a comment, then back to the recipient."""
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not _supplier_may(invoice, "completer"):
        return _wrong_status(request, invoice, _("Seule une facture suspendue peut être complétée."))
    bound = request.method == "POST"
    form = CompleteForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        try:
            with transaction.atomic():
                services.invoice_complete(
                    invoice=invoice,
                    user=request.user,
                    files=form.cleaned_data["attachments"],
                    comment=form.cleaned_data["comment"],
                )
        except ValidationError as exc:
            attach_errors(form, exc.message_dict)
        except workflow.TransitionError as exc:
            attach_errors(form, {"__all__": [str(exc)]})
        else:
            messages.success(
                request,
                _("La facture %(identifier)s est complétée : elle est de nouveau transmise au destinataire.")
                % {"identifier": invoice.identifier},
            )
            return redirect("invoices:detail", invoice.pk)
    return _action_page(
        request,
        "invoices/invoice_complete.html",
        invoice,
        form,
        _("Compléter la facture"),
        attachments=list(invoice.attachments.all()),
        max_attachment_size=settings.INVOICE_MAX_ATTACHMENT_SIZE,
    )


@login_required
def invoice_rejection(request, invoice_id):
    """ "Traiter le rejet" (Rejetée): acknowledge it; optionally start a new invoice from this one."""
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if invoice.status != workflow.REJECTED:
        return _wrong_status(request, invoice, _("Cette facture n'est pas rejetée."))
    if request.method == "POST":
        action = request.POST.get("action")
        with transaction.atomic():
            services.invoice_acknowledge_rejection(invoice=invoice, user=request.user)
            if action == "copy":
                draft = services.invoice_copy_as_draft(invoice=invoice, user=request.user)
        if action == "copy":
            if draft.is_entry:
                text = _(
                    "Nouvelle facture créée à partir de %(identifier)s : saisissez un nouveau numéro et une date, corrigez-la puis envoyez-la."
                )
            else:
                text = _(
                    "Nouvelle facture créée à partir de %(identifier)s : déposez le PDF corrigé, saisissez son nouveau numéro et sa date, puis envoyez-la."
                )
            messages.success(request, text % {"identifier": invoice.identifier})
            return redirect("invoices:edit", draft.pk)
        messages.success(
            request, _("Le rejet de la facture %(identifier)s est traité.") % {"identifier": invoice.identifier}
        )
        return redirect("invoices:detail", invoice.pk)
    return _action_page(request, "invoices/invoice_rejection.html", invoice, None, _("Traiter le rejet"))


@login_required
@require_POST
def invoice_replace_pdf(request, invoice_id):
    """Deposit the (corrected) PDF of a draft of a deposited invoice."""
    invoice = selectors.invoice_for_user(user=request.user, invoice_id=invoice_id)
    if not invoice.is_draft:
        return _wrong_status(request, invoice, _("Cette facture a été envoyée : elle n'est plus modifiable."))
    form = ReplacePdfForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.invoice_replace_pdf(invoice=invoice, user=request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                messages.error(request, message)
        else:
            messages.success(request, _("Le fichier de la facture est déposé."))
    else:
        for message in form.errors.get("file", []):
            messages.error(request, message)
    return redirect("invoices:edit", invoice.pk)
