"""The deposit of a PDF: the upload page, then the pre-filled draft to check."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from invoices import services
from invoices.forms import FORMAT_SIGNED, DepositForm, attach_errors
from invoices.views._common import current_supplier, no_structure


@login_required
def invoice_deposit(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    bound = request.method == "POST"
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
        {"form": form, "supplier": supplier, "page_title": _("Déposer une facture"), "workspace_tab": "deposit"},
    )
