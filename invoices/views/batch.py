"""The batch deposit of a zip: the upload page with the structure's latest batches, the batch page
(progress and per-file report, refreshed by ``static/invoices/batch_progress.js``), its progress as
JSON and its report as CSV. The processing itself is ``services.batch``, in a worker."""

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chorus.links import absolute_url
from invoices import selectors, services
from invoices.forms import BatchDepositForm, attach_errors
from invoices.models import BatchItemState, DepositBatch
from invoices.views._common import current_supplier, no_structure
from invoices.workflow import Status

ITEM_BADGES = {
    BatchItemState.PENDING: "",
    BatchItemState.SENT: "fr-badge--success",
    BatchItemState.DRAFT: "fr-badge--info",
    BatchItemState.REFUSED: "fr-badge--error",
    BatchItemState.IGNORED: "",
}


def _form(request, bound: bool) -> BatchDepositForm:
    return BatchDepositForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        max_size=settings.INVOICE_BATCH_MAX_ZIP_SIZE,
        max_files=settings.INVOICE_BATCH_MAX_FILES,
        max_file_size=settings.INVOICE_MAX_PDF_SIZE,
    )


@login_required
def batch_deposit(request):
    supplier = current_supplier(request)
    if supplier is None:
        return no_structure(request)
    bound = request.method == "POST"
    form = _form(request, bound)
    if bound and form.is_valid():
        try:
            with transaction.atomic():
                batch = services.deposit_batch_create(
                    supplier=supplier,
                    user=request.user,
                    file=form.cleaned_data["file"],
                    cadre=form.cleaned_data["cadre"],
                )
        except ValidationError as exc:
            attach_errors(form, exc.message_dict)
        else:
            messages.success(
                request,
                _(
                    "L'archive est enregistrée : ses %(count)s fichiers sont déposés un par un ; suivez ici le traitement et son rapport."
                )
                % {"count": batch.total},
            )
            return redirect("invoices:batch_detail", batch.pk)
    return render(
        request,
        "invoices/batch_deposit.html",
        {
            "form": form,
            "supplier": supplier,
            "batches": selectors.deposit_batch_list(supplier=supplier),
            "max_size": settings.INVOICE_BATCH_MAX_ZIP_SIZE,
            "max_files": settings.INVOICE_BATCH_MAX_FILES,
            "max_file_size": settings.INVOICE_MAX_PDF_SIZE,
            "max_uncompressed": settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE,
            "page_title": _("Déposer des factures par lot"),
            "workspace_tab": "deposit",
        },
    )


def progress(batch: DepositBatch) -> dict:
    """What the page and its script show of the processing."""
    if batch.is_done:
        status = _(
            "Traitement terminé : %(sent)s déposée(s), %(drafts)s brouillon(s) à compléter, %(refused)s refusé(s)."
        ) % {"sent": batch.sent_count, "drafts": batch.draft_count, "refused": batch.refused_count}
    elif batch.processed_count == 0:
        status = _("En attente de traitement : %(total)s fichier(s) à déposer.") % {"total": batch.total}
    else:
        status = _("Traitement en cours : %(done)s fichier(s) traité(s) sur %(total)s.") % {
            "done": batch.processed_count,
            "total": batch.total,
        }
    return {
        "state": batch.state,
        "state_label": batch.get_state_display(),
        "done": batch.is_done,
        "processed": batch.processed_count,
        "total": batch.total,
        "percent": batch.percent,
        "sent": batch.sent_count,
        "drafts": batch.draft_count,
        "refused": batch.refused_count,
        "ignored": batch.ignored_count,
        "status": str(status),
    }


def item_rows(batch: DepositBatch) -> list[dict]:
    rows = []
    for item in selectors.deposit_batch_items(batch):
        invoice, link, reference = item.invoice, "", ""
        if invoice is not None:
            if invoice.status == Status.BROUILLON:
                link = reverse("invoices:edit", args=[invoice.pk])
                reference = _("Brouillon n° %(pk)s") % {"pk": invoice.pk}
            else:
                link = reverse("invoices:detail", args=[invoice.pk])
                reference = invoice.identifier
        rows.append(
            {
                "item": item,
                "label": item.get_state_display(),
                "badge": ITEM_BADGES.get(item.state, ""),
                "link": link,
                "reference": reference,
                "number": invoice.number if invoice is not None else "",
            }
        )
    return rows


@login_required
@require_GET
def batch_detail(request, batch_id):
    batch = selectors.deposit_batch_for_user(user=request.user, batch_id=batch_id)
    return render(
        request,
        "invoices/batch_detail.html",
        {
            "batch": batch,
            "progress": progress(batch),
            "rows": item_rows(batch),
            "page_title": _("Dépôt par lot n° %(pk)s") % {"pk": batch.pk},
            "workspace_tab": "deposit",
        },
    )


@login_required
@require_GET
def batch_progress(request, batch_id):
    batch = selectors.deposit_batch_for_user(user=request.user, batch_id=batch_id)
    response = JsonResponse(progress(batch))
    response["Cache-Control"] = "private, no-store"
    return response


REPORT_HEADER = ["Position", "Fichier", "Résultat", "Identifiant ou brouillon", "N° de facture", "Message", "Lien"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


@login_required
@require_GET
def batch_report_csv(request, batch_id):
    """The per-file report for Excel: UTF-8 with a BOM, ``;``, as the export of "Factures émises"."""
    batch = selectors.deposit_batch_for_user(user=request.user, batch_id=batch_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    for position, row in enumerate(item_rows(batch), start=1):
        item = row["item"]
        writer.writerow(
            [
                position,
                _text(item.name),
                row["label"],
                _text(row["reference"]),
                _text(row["number"]),
                _text(item.message),
                absolute_url(row["link"]) if row["link"] else "",
            ]
        )
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition_header(True, f"depot-lot-{batch.pk}-{stamp}.csv")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
