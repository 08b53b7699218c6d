"""Supplier pages for invoices: "Factures émises", deposit of a PDF, manual entry, drafts,
"Valider et envoyer", downloads.

Access: every page needs a logged-in user. New invoices belong to the current structure (an
active membership); a page taking an invoice id looks it up with
``selectors.invoice_for_user``, so an invoice of a structure the user is not an active member of
gives a 404. Files are only ever served here, never as public media.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from invoices import rendering, selectors, services, workflow
from invoices.forms import (
    FORMAT_SIGNED,
    CompleteForm,
    DepositForm,
    InvoiceForm,
    LineFormSet,
    RecycleForm,
    ReplacePdfForm,
    VatLineFormSet,
    attach_errors,
    formset_rows,
    initial_from_invoice,
    line_initial,
    vat_initial,
)
from invoices.totals import compute_totals
from invoices.workflow import Status
from structures import selectors as structure_selectors
from structures import services as structure_services
from structures.forms import MandateForm
from structures.models import Membership, MembershipStatus, Structure, StructureKind

PAGE_SIZE = 20
TABS = [("", _("Toutes")), ("brouillons", _("Brouillons")), ("envoyees", _("Envoyées"))]


def _supplier(request) -> Structure | None:
    structure = structure_selectors.current_structure(request)
    if structure is None or structure.kind != StructureKind.PRIVATE:
        return None
    return structure


def _no_structure(request):
    messages.info(request, _("Rattachez-vous d'abord à une structure fournisseur pour déposer des factures."))
    return redirect("structures:home")


# --- List --------------------------------------------------------------------------------------


@login_required
def invoice_list(request):
    supplier = _supplier(request)
    if supplier is None:
        return _no_structure(request)
    tab = request.GET.get("onglet", "")
    if tab not in dict(TABS):
        tab = ""
    page = Paginator(selectors.invoice_list(supplier=supplier, tab=tab), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "page_title": _("Factures émises"),
            "supplier": supplier,
            "page_obj": page,
            "tab": tab,
            "tabs": [{"key": key, "label": label, "active": key == tab} for key, label in TABS],
        },
    )


# --- Deposit of a PDF ----------------------------------------------------------------------------


@login_required
def invoice_deposit(request):
    supplier = _supplier(request)
    if supplier is None:
        return _no_structure(request)
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
        {"form": form, "supplier": supplier, "page_title": _("Déposer une facture")},
    )


# --- Manual entry ------------------------------------------------------------------------------


@login_required
def invoice_mandate(request):
    supplier = _supplier(request)
    if supplier is None:
        return _no_structure(request)
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
    supplier = _supplier(request)
    if supplier is None:
        return _no_structure(request)
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
    if entry:
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
        if form.is_valid() and formset.is_valid():
            rows = formset_rows(formset)
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
        },
    )


# --- Detail, send, delete ----------------------------------------------------------------------


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


# --- Downloads ---------------------------------------------------------------------------------


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


# --- Directory look-ups for the form (progressive enhancement) ---------------------------------


@login_required
@require_GET
def recipient_search(request):
    results = selectors.recipient_search(request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {"id": s.pk, "siret": s.identifier, "name": s.name, "label": f"{s.name} — SIRET {s.identifier}"}
                for s in results
            ]
        }
    )


@login_required
@require_GET
def recipient_services(request, recipient_id):
    recipient = Structure.objects.public().filter(pk=recipient_id).first()
    if recipient is None:
        raise Http404
    return JsonResponse(
        {
            "recipient": {
                "id": recipient.pk,
                "service_required": recipient.service_required,
                "ej_required": recipient.ej_required,
                "service_or_ej_required": recipient.service_or_ej_required,
            },
            "results": [
                {"id": s.pk, "code": s.code, "name": s.name, "ej_required": s.ej_required}
                for s in selectors.recipient_services(recipient)
            ],
        }
    )


# --- Lifecycle: what the supplier does (recycle, complete, handle a rejection) ----------------


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


# --- Notification preferences ("Mes notifications") ----------------------------------------------


@login_required
def notification_preferences(request):
    """The user's own e-mail preferences, for each supplier structure they are an active member of."""
    memberships = list(
        Membership.objects.filter(
            user=request.user, status=MembershipStatus.ACTIVE, structure__kind=StructureKind.PRIVATE
        )
        .select_related("structure")
        .order_by("structure__name")
    )
    if request.method == "POST":
        for membership in memberships:
            structure_services.membership_set_notifications(
                membership=membership,
                user=request.user,
                notify_invoice_events=request.POST.get(f"notify-{membership.pk}") == "on",
                daily_digest=request.POST.get(f"digest-{membership.pk}") == "on",
            )
        messages.success(request, _("Vos préférences de notification sont enregistrées."))
        return redirect("invoices:notifications")
    return render(
        request,
        "invoices/notification_preferences.html",
        {
            "page_title": _("Mes notifications"),
            "memberships": memberships,
            "notification_email": request.user.notification_email,
        },
    )
