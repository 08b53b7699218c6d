"""Django admin for the financial services of public recipients (ministries), and the motifs.

Scope. A staff user works for the public structures (recipients) they are an active member of:
every page, file download and action of this admin goes through
``selectors.invoices_for_recipient_staff``, so a staff member of one ministry never sees, downloads
nor acts on another's invoices (an id from elsewhere reads as "does not exist"). The active
membership on a public structure is the grant: no Django model permission is needed for invoices.
Superusers see every recipient's invoices. Drafts (BROUILLON) belong to their supplier and are
shown to nobody here.

Read-only. Staff never edit an invoice's content, nor add or delete one: they act on its status.
Each action (single from the invoice page, or in bulk from the list) pre-checks every invoice with
the transition table (``workflow.check``, actor RECIPIENT) and enqueues the Celery task
``invoices.transition_invoice`` after the commit, with the staff user's id; the task calls
``invoice_transition``, which re-checks everything under a row lock and writes the history. What
was queued and what was refused (identifier: reason) is reported, one message per kind.

Large tables: the list joins its foreign keys, reads only the columns it shows, skips the second
``COUNT(*)`` and facets, and is ordered by ``-sent_at``. A bulk action handles at most
``MAX_ACTION_INVOICES`` invoices; beyond, the operator command ``invoices_transition`` is the tool.
"""

import datetime
from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chorus.queue import enqueue_on_commit
from invoices import lifecycle, selectors, workflow
from invoices.models import Invoice, InvoiceEvent, Motif, MotifCategory
from invoices.tasks import transition_invoice
from invoices.workflow import Status
from structures.models import Service

# The transitions a recipient's financial service fires, in the order of the table.
RECIPIENT_TRANSITIONS = workflow.transitions_for(workflow.Actor.RECIPIENT)
MAX_ACTION_INVOICES = 1000
IDENTIFIERS_SHOWN = 20
INVOICES_SHOWN = 100
FILTER_CHOICES_MAX = 200


def _is_financial_staff(request) -> bool:
    """May use this admin: an active staff user with an active membership on a public structure,
    or a superuser. Cached on the request (asked several times per page)."""
    cached = getattr(request, "_invoice_admin_access", None)
    if cached is None:
        user = request.user
        cached = bool(
            user.is_active and user.is_staff and (user.is_superuser or selectors.recipients_for_staff(user).exists())
        )
        request._invoice_admin_access = cached
    return cached


def status_with_code(status: str) -> str:
    """« Mise à disposition du destinataire (203) »: the French label and the reform code."""
    label, code = workflow.status_label(status), workflow.reform_code(status)
    return f"{label} ({code})" if code else label


# --- Filters -----------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("statut")
    parameter_name = "statut"

    def lookups(self, request, model_admin):
        return [(s.value, status_with_code(s)) for s in workflow.Status if s != workflow.Status.BROUILLON]

    def queryset(self, request, queryset):
        value = self.value()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class RecipientFilter(admin.SimpleListFilter):
    """The user's own recipient structures only (a superuser: those they are a member of; any
    other recipient by its id in the address)."""

    title = gettext_lazy("destinataire")
    parameter_name = "destinataire"

    def lookups(self, request, model_admin):
        recipients = selectors.recipients_for_staff(request.user).order_by("name", "pk")
        return [
            (str(pk), f"{name} ({identifier})")
            for pk, name, identifier in recipients.values_list("pk", "name", "identifier")[:FILTER_CHOICES_MAX]
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            if not value.isdigit():
                raise IncorrectLookupParameters(value)
            return queryset.filter(recipient_id=int(value))
        return queryset


class ServiceFilter(admin.SimpleListFilter):
    """Services of the chosen recipient, or of the user's recipients (a ministry may have
    thousands: the first ``FILTER_CHOICES_MAX`` by code are offered)."""

    title = gettext_lazy("code service")
    parameter_name = "service"

    def lookups(self, request, model_admin):
        recipient = request.GET.get(RecipientFilter.parameter_name, "")
        if recipient.isdigit():
            services = Service.objects.filter(structure_id=int(recipient))
            if not request.user.is_superuser:
                services = services.filter(structure__in=selectors.recipients_for_staff(request.user).values("pk"))
        else:
            services = Service.objects.filter(structure__in=selectors.recipients_for_staff(request.user).values("pk"))
        services = services.order_by("code", "pk").values_list("pk", "code", "name")[:FILTER_CHOICES_MAX]
        return [(str(pk), f"{code} — {name}") for pk, code, name in services]

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            if not value.isdigit():
                raise IncorrectLookupParameters(value)
            return queryset.filter(recipient_service_id=int(value))
        return queryset


class InputFilter(admin.ListFilter):
    """A filter typed in text boxes (a SIRET, a date range): the lists of suppliers or dates are
    far too long for links. ``fields`` are (parameter, label, input type)."""

    template = "admin/invoices/input_filter.html"
    fields: tuple[tuple[str, str, str], ...] = ()

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name, _label, _type in self.fields:
            if name in params:
                value = params.pop(name)[-1].strip()
                if value:
                    self.used_parameters[name] = value

    def has_output(self):
        return True

    def expected_parameters(self):
        return [name for name, _label, _type in self.fields]

    def choices(self, changelist):
        # One entry for the template: the inputs and the other parameters of the page, kept.
        expected = set(self.expected_parameters())
        yield {
            "fields": [
                {"name": name, "label": label, "type": kind, "value": self.used_parameters.get(name, "")}
                for name, label, kind in self.fields
            ],
            "hidden": [(k, v) for k, v in changelist.params.items() if k not in expected],
            "active": bool(self.used_parameters),
            "clear_url": changelist.get_query_string(remove=list(expected)),
        }


class SupplierFilter(InputFilter):
    title = gettext_lazy("fournisseur")
    fields = (("fournisseur", gettext_lazy("SIRET du fournisseur"), "text"),)

    def queryset(self, request, queryset):
        value = self.used_parameters.get("fournisseur")
        if value:
            return queryset.filter(supplier__identifier=value.replace(" ", ""))
        return queryset


class SentAtFilter(InputFilter):
    title = gettext_lazy("date d'envoi")
    fields = (
        ("envoyee_du", gettext_lazy("du"), "date"),
        ("envoyee_au", gettext_lazy("au (inclus)"), "date"),
    )

    def queryset(self, request, queryset):
        start = self._date("envoyee_du")
        end = self._date("envoyee_au")
        if start:
            queryset = queryset.filter(sent_at__gte=_day_start(start))
        if end:
            queryset = queryset.filter(sent_at__lt=_day_start(end + datetime.timedelta(days=1)))
        return queryset

    def _date(self, name):
        value = self.used_parameters.get(name)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise IncorrectLookupParameters(value) from None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- The action form ---------------------------------------------------------------------------


class TransitionForm(forms.Form):
    """What an action needs besides the invoices, as the table says: a motif among those its
    ``MotifRule`` accepts (``lifecycle.motifs_for``), a n° de mandat, an optional comment."""

    motif = forms.ChoiceField(
        label=gettext_lazy("Motif"),
        error_messages={"required": gettext_lazy("Choisissez un motif.")},
    )
    mandate_number = forms.CharField(
        label=gettext_lazy("Numéro de mandat"),
        max_length=50,
        error_messages={"required": gettext_lazy("Le numéro de mandat est obligatoire pour mandater une facture.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy("Visible par le fournisseur."),
    )

    def __init__(self, *args, transition: workflow.Transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.motif_required:
            self.motifs = lifecycle.motifs_for(transition)
            self.fields["motif"].choices = [("", "---------"), *self._grouped(self.motifs)]
        else:
            del self.fields["motif"]
        if not transition.mandate_number_required:
            del self.fields["mandate_number"]

    @staticmethod
    def _grouped(motifs):
        labels = dict(MotifCategory.choices)
        groups = defaultdict(list)
        for code, label, category in motifs.order_by("category", "position", "code").values_list(
            "code", "label", "category"
        ):
            groups[category].append((code, label))
        return [(labels.get(category, category), choices) for category, choices in groups.items()]

    def clean_motif(self):
        code = self.cleaned_data["motif"]
        try:
            return self.motifs.get(code=code)
        except Motif.DoesNotExist:
            raise forms.ValidationError(_("Ce motif n'est pas disponible pour cette action.")) from None

    def clean_mandate_number(self):
        return self.cleaned_data["mandate_number"].strip()

    def clean_comment(self):
        return self.cleaned_data["comment"].strip()

    @property
    def needed(self) -> bool:
        """Whether the changelist must show this form before acting."""
        return self.transition.needs_input


# --- History inline ----------------------------------------------------------------------------


class InvoiceEventInline(admin.TabularInline):
    """The invoice's history, read-only (append-only rows written by ``invoice_transition``)."""

    model = InvoiceEvent
    fields = ["created_at", "status_change", "who", "motif", "comment", "mandate_number"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = gettext_lazy("événement")
    verbose_name_plural = gettext_lazy("historique")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "motif")

    def has_view_permission(self, request, obj=None):
        # Shown with the invoice, whose access was checked (scoped queryset).
        return _is_financial_staff(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("statut"))
    def status_change(self, event):
        if event.from_status == event.to_status:
            return status_with_code(event.to_status)
        return f"{status_with_code(event.from_status)} → {status_with_code(event.to_status)}"

    @admin.display(description=gettext_lazy("par"))
    def who(self, event):
        if event.user_id is None:
            return _("système")
        return str(event.user)


# --- Invoices ----------------------------------------------------------------------------------


def _make_action(transition: workflow.Transition):
    def action(modeladmin, request, queryset):
        return modeladmin.transition_action(request, queryset, transition)

    action.__name__ = f"transition_{transition.name}"
    description = f"{transition.label}…" if transition.needs_input else transition.label
    return admin.action(description=description, permissions=["transition"])(action)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "identifier",
        "number",
        "supplier",
        "recipient",
        "recipient_service",
        "amount_ttc",
        "status_display",
        "sent_at",
    ]
    list_display_links = ["identifier", "number"]
    list_filter = [StatusFilter, RecipientFilter, ServiceFilter, SupplierFilter, "cadre", SentAtFilter]
    search_fields = ["=identifier", "^number", "^supplier__identifier", "supplier__name", "^engagement_number"]
    search_help_text = gettext_lazy(
        "Identifiant, numéro de facture, SIRET (depuis le début) ou raison sociale du fournisseur, n° d'engagement."
    )
    list_select_related = ["supplier", "recipient", "recipient_service"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-sent_at", "-id"]
    actions = [_make_action(t) for t in RECIPIENT_TRANSITIONS]
    inlines = [InvoiceEventInline]
    change_form_template = "admin/invoices/invoice/change_form.html"
    fieldsets = [
        (
            gettext_lazy("Facture"),
            {
                "fields": [
                    "identifier",
                    "number",
                    "invoice_type",
                    "original_invoice_number",
                    "cadre",
                    "invoice_date",
                    "status_display",
                    "status_changed_at",
                    "mandate_number",
                    "sent_at",
                ]
            },
        ),
        (
            gettext_lazy("Fournisseur et destinataire"),
            {
                "fields": [
                    "supplier",
                    "supplier_service",
                    "bank_account",
                    "recipient",
                    "recipient_service",
                    "engagement_number",
                    "market_number",
                ]
            },
        ),
        (
            gettext_lazy("Montants"),
            {"fields": ["amount_ht", "amount_tva", "amount_ttc", "currency", "payment_mode", "comment"]},
        ),
        (gettext_lazy("Fichiers"), {"fields": ["pdf_link", "attachment_links", "deposit_mode"]}),
    ]
    # Everything is read-only (no change permission); these are computed for display.
    readonly_fields = ["status_display", "pdf_link", "attachment_links", "currency"]

    # Columns the list page shows (the rest of a row is never read there).
    LIST_COLUMNS = [
        "id",
        "identifier",
        "number",
        "amount_ttc",
        "status",
        "sent_at",
        "supplier__id",
        "supplier__name",
        "supplier__identifier",
        "recipient__id",
        "recipient__name",
        "recipient__identifier",
        "recipient_service__id",
        "recipient_service__code",
        "recipient_service__name",
    ]

    # --- Scope and permissions

    def get_queryset(self, request):
        invoices = selectors.invoices_for_recipient_staff(request.user, super().get_queryset(request))
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "invoices_invoice_changelist":
            invoices = invoices.select_related(*self.list_select_related).only(*self.LIST_COLUMNS)
        return invoices

    def has_module_permission(self, request):
        return _is_financial_staff(request)

    def has_view_permission(self, request, obj=None):
        return _is_financial_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # staff act on the status (actions), never on the content

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request):
        return _is_financial_staff(request)

    # --- Display

    @admin.display(description=gettext_lazy("statut"), ordering="status")
    def status_display(self, invoice):
        return status_with_code(invoice.status)

    @admin.display(description=gettext_lazy("fichier de la facture"))
    def pdf_link(self, invoice):
        if not invoice.pdf:
            return "—"
        url = reverse("admin:invoices_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">{}</a>', url, invoice.pdf_original_filename or _("Télécharger le PDF"))

    @admin.display(description=gettext_lazy("pièces jointes"))
    def attachment_links(self, invoice):
        attachments = list(invoice.attachments.values_list("pk", "original_filename"))
        if not attachments:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            ((reverse("admin:invoices_invoice_attachment", args=[invoice.pk, pk]), name) for pk, name in attachments),
        )

    # --- URLs: files and the action page of one invoice, behind the same scope

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/fichier/", view(self.pdf_view), name="invoices_invoice_pdf"),
            path(
                "<path:object_id>/pieces-jointes/<int:attachment_id>/",
                view(self.attachment_view),
                name="invoices_invoice_attachment",
            ),
            path(
                "<path:object_id>/action/<str:transition>/",
                view(self.transition_view),
                name="invoices_invoice_transition",
            ),
            *super().get_urls(),
        ]

    def _scoped_invoice(self, request, object_id) -> Invoice:
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404(_("Facture introuvable."))
        return invoice

    def pdf_view(self, request, object_id):
        invoice = self._scoped_invoice(request, object_id)
        if not invoice.pdf:
            raise Http404(_("Cette facture n'a pas de fichier."))
        handle = invoice.pdf.storage.open(invoice.pdf.name, "rb")
        return _download(
            handle, filename=invoice.pdf_original_filename or "facture.pdf", content_type="application/pdf"
        )

    def attachment_view(self, request, object_id, attachment_id):
        invoice = self._scoped_invoice(request, object_id)
        attachment = get_object_or_404(invoice.attachments, pk=attachment_id)
        handle = attachment.file.storage.open(attachment.file.name, "rb")
        return _download(handle, filename=attachment.original_filename, content_type="application/octet-stream")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        invoice = self.get_object(request, unquote(object_id))
        if invoice is not None and self.has_transition_permission(request):
            extra_context["invoice_transitions"] = [
                (t, reverse("admin:invoices_invoice_transition", args=[invoice.pk, t.name]))
                for t in workflow.available(status=invoice.status, actor=workflow.Actor.RECIPIENT)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Actions

    def transition_view(self, request, object_id, transition):
        """The action page of one invoice (from its detail page): the form, then the queue."""
        invoice = self._scoped_invoice(request, object_id)
        if not self.has_transition_permission(request):
            raise PermissionDenied
        t = workflow.TRANSITIONS.get(transition)
        if t is None or workflow.Actor.RECIPIENT not in t.actors:
            raise Http404(_("Action inconnue."))
        change_url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
        try:  # the status first: no form to fill for an action that cannot apply
            workflow.check(
                status=invoice.status, transition=t.name, actor=workflow.Actor.RECIPIENT, motif="-", mandate_number="-"
            )
        except workflow.TransitionError as exc:
            self.message_user(request, f"{invoice.identifier} : {exc}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            form = TransitionForm(request.POST, transition=t)
            if form.is_valid():
                self._queue(request, t, [(invoice.pk, invoice.identifier, invoice.status)], form.cleaned_data)
                return HttpResponseRedirect(change_url)
        else:
            form = TransitionForm(transition=t)
        return self._form_page(request, t, form, [invoice], invoice=invoice, cancel_url=change_url)

    def transition_action(self, request, queryset, transition: workflow.Transition):
        """A bulk action of the list: the form first when the transition needs a motif or a n° de
        mandat (as Django's delete confirmation), then the queue."""
        rows = list(queryset.order_by("pk").values_list("pk", "identifier", "status")[: MAX_ACTION_INVOICES + 1])
        if len(rows) > MAX_ACTION_INVOICES:
            self.message_user(
                request,
                _(
                    "Une action porte sur %(max)d factures au plus : affinez la sélection, ou utilisez la "
                    "commande invoices_transition."
                )
                % {"max": MAX_ACTION_INVOICES},
                messages.ERROR,
            )
            return None
        if not request.POST.get("select_across") or request.POST.get("select_across") == "0":
            posted = {v for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if v}
            missing = len(posted) - len(rows)
        else:
            missing = 0
        form = TransitionForm(request.POST if request.POST.get("post") == "yes" else None, transition=transition)
        if form.needed and not form.is_bound:
            return self._form_page(request, transition, form, rows, action=f"transition_{transition.name}")
        if form.needed and not form.is_valid():
            return self._form_page(request, transition, form, rows, action=f"transition_{transition.name}")
        data = form.cleaned_data if form.needed else {}
        self._queue(request, transition, rows, data, missing=missing)
        return None

    def _form_page(self, request, transition, form, rows, *, action="", invoice=None, cancel_url=""):
        """The intermediate page: the invoices concerned, the form, confirm or cancel."""
        if invoice is not None:
            rows = [(invoice.pk, invoice.identifier, invoice.status)]
        shown = [(pk, identifier, status_with_code(status)) for pk, identifier, status in rows[:INVOICES_SHOWN]]
        context = {
            **self.admin_site.each_context(request),
            "title": transition.label,
            "subtitle": None,
            "opts": self.opts,
            "transition": transition,
            "form": form,
            "invoice": invoice,
            "invoices": shown,
            "count": len(rows),
            "more": max(0, len(rows) - INVOICES_SHOWN),
            "selected": [pk for pk, _identifier, _status in rows],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": cancel_url or reverse("admin:invoices_invoice_changelist"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/invoices/invoice/transition.html", context)

    def _queue(self, request, transition, rows, data, *, missing: int = 0) -> int:
        """Pre-check each (pk, identifier, status) and enqueue the allowed ones after the commit;
        report what was queued, then what was not and why, grouped by reason."""
        motif = data.get("motif")
        comment = data.get("comment", "")
        mandate_number = data.get("mandate_number", "")
        queued = 0
        refused: dict[tuple[int, str], list[str]] = defaultdict(list)
        for pk, identifier, status in rows:
            try:
                workflow.check(
                    status=status,
                    transition=transition.name,
                    actor=workflow.Actor.RECIPIENT,
                    motif=motif.code if motif else None,
                    mandate_number=mandate_number,
                )
            except workflow.AlreadyApplied as exc:
                refused[(messages.WARNING, str(exc))].append(identifier)
            except workflow.TransitionError as exc:
                refused[(messages.ERROR, str(exc))].append(identifier)
            else:
                # If the broker is down the transition runs here: the agent's action is not lost.
                enqueue_on_commit(
                    transition_invoice,
                    pk,
                    transition.name,
                    run_here_if_broker_down=True,
                    user_id=request.user.pk,
                    actor=workflow.Actor.RECIPIENT.value,
                    motif_code=motif.code if motif else None,
                    comment=comment,
                    mandate_number=mandate_number,
                )
                queued += 1
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d facture envoyée au traitement (« %(action)s ») : son statut est mis à jour "
                    "dans quelques instants.",
                    "%(count)d factures envoyées au traitement (« %(action)s ») : leur statut est mis à jour "
                    "dans quelques instants.",
                    queued,
                )
                % {"count": queued, "action": transition.label},
                messages.SUCCESS,
            )
        for (level, reason), identifiers in refused.items():
            shown = ", ".join(identifiers[:IDENTIFIERS_SHOWN])
            if len(identifiers) > IDENTIFIERS_SHOWN:
                shown += " " + _("et %(count)d autres") % {"count": len(identifiers) - IDENTIFIERS_SHOWN}
            self.message_user(
                request,
                ngettext("%(count)d facture non traitée", "%(count)d factures non traitées", len(identifiers))
                % {"count": len(identifiers)}
                + f" — {shown} : {reason}",
                level,
            )
        if missing > 0:
            self.message_user(
                request,
                ngettext(
                    "%(count)d facture introuvable ou hors de vos structures : non traitée.",
                    "%(count)d factures introuvables ou hors de vos structures : non traitées.",
                    missing,
                )
                % {"count": missing},
                messages.ERROR,
            )
        return queued


def _download(handle, *, filename: str, content_type: str):
    """Same headers as the portal's downloads: an attachment, never cached by shared caches."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Motifs ------------------------------------------------------------------------------------


@admin.register(Motif)
class MotifAdmin(admin.ModelAdmin):
    """The catalogue of motifs (seeded by a migration). A motif used by the history is never
    deleted: deactivate it (it is then no longer offered). Its code is fixed once created."""

    list_display = ["code", "label", "category", "reform_code", "recyclable", "is_active", "position"]
    list_display_links = ["code"]
    list_editable = ["label", "is_active", "position"]
    list_filter = ["category", "recyclable", "is_active"]
    search_fields = ["code", "label", "reform_code"]
    ordering = ["category", "position", "code"]
    fields = ["code", "label", "category", "reform_code", "recyclable", "is_active", "position"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None and obj.pk else []

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_financial_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False
