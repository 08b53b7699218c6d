"""The admin of the catalogue of motifs."""

from django.contrib import admin

from invoices.admin._common import is_financial_staff
from invoices.models import Motif


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
        return super().has_view_permission(request, obj) or is_financial_staff(request)

    def has_delete_permission(self, request, obj=None):
        return False
