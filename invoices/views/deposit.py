"""The deposit of a PDF: the upload page, then the pre-filled draft to check; and « Vérifier ma
facture », the same checks of a structured file before deposit, keeping nothing."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from invoices import services
from invoices.forms import FORMAT_SIGNED, CheckForm, DepositForm, attach_errors
from invoices.views._common import current_supplier, no_structure


@login_required
def invoice_deposit(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    bound = request.method == "POST"
    report = None
    form = DepositForm(
        request.POST if bound else None, request.FILES if bound else None, max_size=settings.INVOICE_MAX_PDF_SIZE
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                invoice = services.invoice_deposit(
                    supplier=supplier,
                    user=request.user,
                    file=form.cleaned_data["file"],
                    signed=form.cleaned_data["pdf_format"] == FORMAT_SIGNED,
                    cadre=form.cleaned_data["cadre"],
                )
        except ValidationError as exc:
            report = getattr(exc, "report", None)
            if report is not None:
                # The XSD / EN 16931 errors are explained in full under the form.
                form.add_error("file", report.summary())
            else:
                attach_errors(form, exc.message_dict)
        else:
            found = invoice.extracted_data
            if found.get("source") == "facturx":
                messages.success(
                    request,
                    _(
                        "Le fichier est accepté : les données du Factur-X ont été reprises. Vérifiez-les, "
                        "complétez la facture puis validez-la."
                    ),
                )
            elif any(found.get(k) for k in ("number", "invoice_date", "amount_ttc", "sirets")):
                messages.success(
                    request,
                    _(
                        "Le fichier est accepté. Des valeurs lues dans le PDF vous sont proposées : vérifiez-les "
                        "et complétez la facture."
                    ),
                )
            else:
                messages.success(request, _("Le fichier est accepté. Complétez la facture."))
            return redirect("invoices:edit", invoice.pk)
    return render(
        request,
        "invoices/invoice_deposit.html",
        {
            "form": form,
            "supplier": supplier,
            "report": report,
            "page_title": _("Déposer une facture"),
            "workspace_tab": "deposit",
        },
    )


@login_required
def invoice_check(request):
    """« Vérifier ma facture »: any logged-in user; the seller is checked against the current
    supplier structure when there is one. Nothing is stored."""
    supplier = current_supplier(request)
    bound = request.method == "POST"
    form = CheckForm(
        request.POST if bound else None, request.FILES if bound else None, max_size=settings.INVOICE_MAX_PDF_SIZE
    )
    report = None
    if bound and form.is_valid():
        wait = services.invoice_check_allowed(request.user)
        if wait:
            form.add_error("file", wait)
        else:
            report = services.invoice_check(file=form.cleaned_data["file"], supplier=supplier)
    return render(
        request,
        "invoices/invoice_check.html",
        {
            "form": form,
            "supplier": supplier,
            "report": report,
            "filename": form.cleaned_data["file"].name if report is not None else "",
            "page_title": _("Vérifier ma facture"),
            "workspace_tab": "deposit" if supplier is not None else None,
        },
    )
