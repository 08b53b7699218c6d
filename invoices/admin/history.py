"""The history of an invoice shown on its admin page, read-only."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices.admin._common import is_financial_staff, status_with_code
from invoices.models import InvoiceEvent


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
        return is_financial_staff(request)

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
