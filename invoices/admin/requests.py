"""The admin of staff actions as durable requests ("Demandes de traitement"): what was applied,
what is pending and what was refused, with the reason; pending ones can be handed to a worker again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from invoices import services
from invoices.admin._common import is_financial_staff
from invoices.models import TransitionRequest, TransitionRequestState


@admin.register(TransitionRequest)
class TransitionRequestAdmin(admin.ModelAdmin):
    """Read-only: an agent sees the requests they made, a superuser every request (operators)."""

    list_display = ["created_at", "invoice_identifier", "transition", "state", "result", "requested_by", "processed_at"]
    list_filter = ["state", "transition"]
    search_fields = ["=invoice__identifier"]
    search_help_text = gettext_lazy("Identifiant de la facture.")
    list_select_related = ["invoice", "requested_by"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-created_at", "-id"]
    actions = ["requeue_selected"]
    fields = [
        "invoice",
        "transition",
        "actor",
        "requested_by",
        "motif",
        "comment",
        "mandate_number",
        "state",
        "result",
        "attempts",
        "created_at",
        "processed_at",
        "batch",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(requested_by=request.user)

    def has_module_permission(self, request):
        return is_financial_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_financial_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_requeue_permission(self, request):
        return is_financial_staff(request)

    @admin.display(description=gettext_lazy("facture"), ordering="invoice__identifier")
    def invoice_identifier(self, row):
        return row.invoice.identifier or row.invoice_id

    @admin.action(description=gettext_lazy("Relancer les demandes en attente"), permissions=["requeue"])
    def requeue_selected(self, request, queryset):
        ids = list(queryset.filter(state=TransitionRequestState.PENDING).values_list("pk", flat=True))
        batches = services.transition_requests_requeue(older_than_minutes=0, ids=ids) if ids else []
        self.message_user(
            request,
            ngettext(
                "%(count)d demande en attente remise au traitement (%(batches)d lot).",
                "%(count)d demandes en attente remises au traitement (%(batches)d lots).",
                len(ids),
            )
            % {"count": len(ids), "batches": len(batches)},
            messages.SUCCESS if ids else messages.WARNING,
        )
