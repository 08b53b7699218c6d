"""Admin of structures, their services, bank details and EJ (the directory tables)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from structures.admin.agents import AgentPagesMixin
from structures.admin.base import ReadOnlyInline, SupportOnlyAdmin
from structures.models import (
    ADDRESS_AND_CONTACT_FIELDS,
    BankAccount,
    EngagementJuridique,
    Membership,
    Service,
    Structure,
)
from structures.validators import normalize_bic, normalize_iban

SERVICE_INLINE_MAX = 100


class BankAccountForm(forms.ModelForm):
    """Spaces are removed and letters upper-cased before the IBAN and BIC are checked."""

    class Meta:
        model = BankAccount
        fields = ["label", "iban", "bic", "is_active"]

    def clean_iban(self):
        return normalize_iban(self.cleaned_data["iban"])

    def clean_bic(self):
        return normalize_bic(self.cleaned_data["bic"])


# --- Inlines ----------------------------------------------------------------------------------


class ServiceInline(admin.TabularInline):
    model = Service
    fields = ["code", "name", "is_active", "ej_required"]
    extra = 0
    show_change_link = True


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    form = BankAccountForm
    fields = ["label", "iban", "bic", "is_active"]
    extra = 0


class MembershipInline(ReadOnlyInline):
    """Members of a structure; decisions are taken from the membership list (actions), an agent
    of a public structure is detached from here (« Détacher », a confirmation page)."""

    model = Membership
    fields = ["user", "role", "status", "requested_at", "decided_at", "agent_actions"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("rattachements (décisions depuis la liste des rattachements)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "structure")

    @admin.display(description=_("agent"))
    def agent_actions(self, obj):
        if obj is None or obj.pk is None or not (obj.is_active and obj.structure.is_public):
            return "—"
        url = reverse("admin:structures_structure_detach_agent", args=[obj.structure_id, obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Détacher"))


# --- Structures -------------------------------------------------------------------------------


@admin.register(Structure)
class StructureAdmin(AgentPagesMixin, SupportOnlyAdmin):
    list_display = [
        "identifier",
        "name",
        "kind",
        "is_active",
        "ej_required",
        "service_required",
        "service_or_ej_required",
        "reports_payment_status",
    ]
    list_display_links = ["identifier", "name"]
    list_filter = [
        "kind",
        "is_active",
        "ej_required",
        "service_required",
        "service_or_ej_required",
        "reports_payment_status",
        "edi_sender",
        "edi_receiver",
        "is_moa",
        "is_moa_only",
    ]
    search_fields = ["^identifier", "name"]
    search_help_text = _("Identifiant (SIRET ou SIREN, depuis le début) ou raison sociale.")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ["services_link", "mandate_accepted_at", "mandate_accepted_by", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["kind", "identifier_type", "identifier", "name", "vat_number", "is_active", "services_link"]},
        ),
        (
            _("Règles de facturation (destinataire public)"),
            {
                "fields": [
                    "ej_required",
                    "service_required",
                    "service_or_ej_required",
                    "reports_payment_status",
                    "edi_sender",
                    "edi_receiver",
                    "is_moa",
                    "is_moa_only",
                ]
            },
        ),
        (
            _("Adresse et contact"),
            {"fields": list(ADDRESS_AND_CONTACT_FIELDS)},
        ),
        (_("Mandat de facturation et dates"), {"fields": readonly_fields[1:]}),
    ]
    inlines = [ServiceInline, BankAccountInline, MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mandate_accepted_by")

    def get_inlines(self, request, obj):
        # A ministry of the directory may have thousands of services: past a few, they are listed
        # (paginated, searchable) in the services changelist instead of an inline form.
        inlines = list(super().get_inlines(request, obj))
        if obj is not None and obj.pk and obj.services.count() > SERVICE_INLINE_MAX:
            inlines.remove(ServiceInline)
        return inlines

    @admin.display(description=_("services"))
    def services_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        count = obj.services.count()
        url = reverse("admin:structures_service_changelist") + f"?structure__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, ngettext("%(count)d service", "%(count)d services", count) % {"count": count}
        )


@admin.register(Service)
class ServiceAdmin(SupportOnlyAdmin):
    list_display = ["code", "name", "structure", "is_active", "ej_required"]
    list_filter = ["is_active", "ej_required", "structure__kind"]
    search_fields = ["code", "name", "^structure__identifier"]
    search_help_text = _("Code ou nom du service, identifiant de la structure (depuis le début).")
    list_select_related = ["structure"]
    autocomplete_fields = ["structure"]
    show_full_result_count = False
    ordering = ["structure_id", "code"]  # the (structure, code) unique index: no sort of the table
    readonly_fields = ["created_at", "updated_at"]


@admin.register(BankAccount)
class BankAccountAdmin(SupportOnlyAdmin):
    form = BankAccountForm
    list_display = ["label", "structure", "iban", "bic", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["label", "iban", "^structure__identifier", "structure__name"]
    list_select_related = ["structure"]
    autocomplete_fields = ["structure"]
    readonly_fields = ["created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        return ["structure", "label", "iban", "bic", "is_active", "created_at", "updated_at"]


@admin.register(EngagementJuridique)
class EngagementJuridiqueAdmin(SupportOnlyAdmin):
    list_display = [
        "number",
        "recipient",
        "supplier_identifier",
        "supplier_name",
        "amount",
        "status",
        "start_date",
        "end_date",
    ]
    list_filter = ["status"]
    search_fields = ["^number", "^supplier_identifier", "^recipient__identifier"]
    search_help_text = _("N° d'engagement, identifiant du fournisseur ou du destinataire (depuis le début).")
    list_select_related = ["recipient"]
    autocomplete_fields = ["recipient"]
    show_full_result_count = False
    readonly_fields = ["created_at", "updated_at"]
