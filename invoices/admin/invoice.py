"""The invoice admin of the financial services: the scoped list and page, the files, the actions."""

import hashlib
import re

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus import fragments, instances
from invoices import selectors, workflow
from invoices.admin._common import is_financial_staff, staff_recipient_ids, status_with_code
from invoices.admin.actions import ActionBarForm, TransitionActions, make_action
from invoices.admin.filters import RecipientFilter, SentAtFilter, ServiceFilter, StatusFilter, SupplierFilter
from invoices.admin.history import InvoiceEventInline
from invoices.downloads import download
from invoices.models import Invoice
from structures.models import Structure

IDENTIFIER_RE = re.compile(r"[A-Za-z]{1,10}-\d{4}-\d{7}")
# The list never counts more than this many invoices (a ministry receives hundreds of thousands):
# the pages go as far, and the count reads at most as many index entries.
COUNT_CAP = 10_000


class FiltersOnceChangeList(ChangeList):
    """The changelist whose rows link to their invoice with the list's filters (to come back to
    them after a decision) computed once for the page. Django's template tag adds the preserved
    filters to each row's link by *resolving* it first (``add_preserved_filters``): 50 URL
    resolutions per filtered page, 22 ms of its ~60 (issue 14).

    ``url_for_result`` depends on the result's pk alone: ``invoices.admin.changelist`` reverses it
    once per page (``result_urls_by_pk``). The page's invoices and their related structures are
    built by ``chorus.instances`` (the same instances, without ``Model.__init__``)."""

    result_urls_by_pk = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_filters, self.preserved_filters = self.preserved_filters, ""

    def get_results(self, request):
        super().get_results(request)
        if not self.list_editable:  # an editable list's formset reads the queryset itself
            self.result_list = instances.built_fast(self.result_list)

    def url_for_result(self, result):
        url = super().url_for_result(result)
        return f"{url}?{self.row_filters}" if self.row_filters else url


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT n)``). Given a
    ``cache_key``, the count is kept ``CAPPED_COUNT_SECONDS`` in the cache (60 s; 0: never): an
    agent paging through a list, or coming back to it, does not count it again (issue 9). The count
    shown, and so the number of pages, can be that old; the rows never are."""

    def __init__(self, *args, cache_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache_key = cache_key

    @cached_property
    def count(self):
        seconds = settings.CAPPED_COUNT_SECONDS
        if self.cache_key is None or seconds <= 0:
            return self._capped_count()
        # In the process, then in the cache, with the time it was counted: never older.
        return fragments.kept_value(self.cache_key, self._capped_count, seconds=seconds)

    def _capped_count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()


# The transitions a recipient's financial service fires, in the order of the table.
RECIPIENT_TRANSITIONS = workflow.transitions_for(workflow.Actor.RECIPIENT)


@admin.register(Invoice)
class InvoiceAdmin(TransitionActions, admin.ModelAdmin):
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
    # Shown as the search box; the search itself is ``get_search_results`` (indexed lookups).
    search_fields = ["=identifier", "^number", "^supplier__identifier", "supplier__name", "^engagement_number"]
    SEARCH_SUPPLIERS = 1000
    search_help_text = gettext_lazy(
        "Identifiant, numéro de facture, SIRET (depuis le début) ou raison sociale du fournisseur, n° d'engagement."
    )
    list_select_related = ["supplier", "recipient", "recipient_service"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-sent_at", "-id"]
    actions = [make_action(t) for t in RECIPIENT_TRANSITIONS]
    action_form = ActionBarForm
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
        (
            gettext_lazy("Fichiers"),
            {
                "fields": [
                    "pdf_link",
                    "source_xml_link",
                    "attachment_links",
                    "deposit_mode",
                    "source_syntax",
                    "type_code",
                ]
            },
        ),
    ]
    # Everything is read-only (no change permission); these are computed for display.
    readonly_fields = ["status_display", "pdf_link", "source_xml_link", "attachment_links", "currency"]

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

    def get_search_results(self, request, queryset, search_term):
        """The search, each term through an index (issue 14).

        A whole invoice identifier (FAC-2026-0000123, any case) is looked up exactly, by the unique
        index. Any other term matches an invoice whose number or EJ starts with it (as typed or in
        capitals: ``(recipient, number)`` and ``(recipient, engagement_number)`` pattern indexes),
        or whose supplier's SIRET starts with it or raison sociale contains it (the suppliers are
        read first, from the structures, then their invoices by id). Django's own search ORs
        ``UPPER(…) LIKE`` over the joined tables, which no index serves: at 1 M invoices it read
        the 100,000 invoices of a ministry for each search. Several terms: each must match."""
        term = search_term.strip()
        if IDENTIFIER_RE.fullmatch(term):
            return queryset.filter(identifier=term.upper()), False
        for word in smart_split(term):
            word = unescape_string_literal(word) if word[:1] in "\"'" and word[-1:] == word[:1] else word
            if not word:
                continue
            prefixes = sorted({word, word.upper()})
            suppliers = list(
                Structure.objects.filter(Q(identifier__startswith=word) | Q(name__icontains=word))
                .order_by()
                .values_list("pk", flat=True)[: self.SEARCH_SUPPLIERS]
            )
            matches = Q(identifier=word.upper()) | Q(supplier_id__in=suppliers)
            for prefix in prefixes:
                matches |= Q(number__startswith=prefix) | Q(engagement_number__startswith=prefix)
            queryset = queryset.filter(matches)
        return queryset, False

    def get_changelist(self, request, **kwargs):
        return FiltersOnceChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return CappedPaginator(
            queryset, per_page, orphans, allow_empty_first_page, cache_key=self.count_cache_key(request)
        )

    def count_cache_key(self, request) -> str:
        """What the list's count depends on: the user (and their recipients: a new membership
        is a new list), the filters and the search, not the page nor the order."""
        scope = "*" if request.user.is_superuser else staff_recipient_ids(request)
        params = sorted((k, v) for k, values in request.GET.lists() if k not in (PAGE_VAR, ORDER_VAR) for v in values)
        digest = hashlib.sha256(repr((request.user.pk, scope, params)).encode()).hexdigest()[:32]
        return f"chorus:admin:invoice-count:{digest}"

    # --- Scope and permissions

    def get_queryset(self, request):
        invoices = selectors.invoices_for_recipient_staff(
            request.user,
            super().get_queryset(request),
            recipient_ids=None if request.user.is_superuser else staff_recipient_ids(request),
        )
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "invoices_invoice_changelist":
            invoices = invoices.select_related(*self.list_select_related).only(*self.LIST_COLUMNS)
        return invoices

    def has_module_permission(self, request):
        return is_financial_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_financial_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # staff act on the status (actions), never on the content

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request):
        return is_financial_staff(request)

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

    @admin.display(description=gettext_lazy("XML de la facture"))
    def source_xml_link(self, invoice):
        if not invoice.source_xml:
            return "—"
        url = reverse("admin:invoices_invoice_xml", args=[invoice.pk])
        return format_html(
            '<a href="{}">{}</a>',
            url,
            _("Télécharger le XML (%(syntax)s)") % {"syntax": invoice.get_source_syntax_display()},
        )

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
            path("<path:object_id>/xml/", view(self.xml_view), name="invoices_invoice_xml"),
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
        return download(
            invoice.pdf, filename=invoice.pdf_original_filename or "facture.pdf", content_type="application/pdf"
        )

    def xml_view(self, request, object_id):
        invoice = self._scoped_invoice(request, object_id)
        if not invoice.source_xml:
            raise Http404(_("Cette facture n'a pas de XML."))
        return download(invoice.source_xml, filename=f"facture-{invoice.pk}.xml", content_type="application/xml")

    def attachment_view(self, request, object_id, attachment_id):
        invoice = self._scoped_invoice(request, object_id)
        attachment = get_object_or_404(invoice.attachments, pk=attachment_id)
        return download(attachment.file, filename=attachment.original_filename, content_type="application/octet-stream")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and self.has_transition_permission(request):
            self.report_processed_requests(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and self.has_transition_permission(request):
            self.report_processed_requests(request)
        extra_context = dict(extra_context or {})
        invoice = self.get_object(request, unquote(object_id))
        if invoice is not None and self.has_transition_permission(request):
            extra_context["invoice_transitions"] = [
                (t, reverse("admin:invoices_invoice_transition", args=[invoice.pk, t.name]))
                for t in workflow.available(status=invoice.status, actor=workflow.Actor.RECIPIENT)
            ]
        return super().change_view(request, object_id, form_url, extra_context)
