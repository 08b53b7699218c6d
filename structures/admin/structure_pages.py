"""Admin of structures, their services, bank details and EJ (the directory tables).

Saves of structures, services and bank details go through the services (``ServiceSavedAdmin``);
the inlines of a structure are read-only, with links to those pages.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from structures import services
from structures.admin.agents import AgentPagesMixin
from structures.admin.base import ReadOnlyInline, ServiceSavedAdmin, SupportOnlyAdmin
from structures.admin.transfer import TransferPageMixin
from structures.forms import BankAccountForm
from structures.models import (
    ADDRESS_AND_CONTACT_FIELDS,
    BankAccount,
    EngagementJuridique,
    Membership,
    Service,
    Structure,
)

SERVICE_INLINE_MAX = 100


# --- Inlines (read-only: each row links to its page, which saves through the services) ------


class ServiceInline(ReadOnlyInline):
    model = Service
    fields = ["code", "name", "is_active", "ej_required"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("services (modification depuis la page de chaque service)")


class BankAccountInline(ReadOnlyInline):
    model = BankAccount
    fields = ["label", "iban", "bic", "is_active"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("coordonnées bancaires (modification depuis la page de chacune)")


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
class StructureAdmin(TransferPageMixin, AgentPagesMixin, ServiceSavedAdmin):
    list_display = [
        "identifier",
        "name",
        "kind",
        "is_active",
        "ej_required",
        "service_required",
        "service_or_ej_required",
        "reports_payment_status",
        "is_state",
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
        "is_state",
        "payment_delay_days",
    ]
    search_fields = ["^identifier", "name"]
    search_help_text = _("Identifiant (SIRET ou SIREN, depuis le début) ou raison sociale.")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [
        "services_link",
        "bank_accounts_link",
        "mandate_accepted_at",
        "mandate_accepted_by",
        "created_by",
        "created_at",
        "updated_at",
    ]
    identity_fields = ["kind", "identifier_type", "identifier"]  # the structure itself: fixed once created
    fieldsets = [
        (
            None,
            {
                "fields": [
                    *identity_fields,
                    "name",
                    "vat_number",
                    "is_active",
                    "services_link",
                    "bank_accounts_link",
                ]
            },
        ),
        (
            _("Règles de facturation (destinataire public)"),
            {
                "fields": [
                    "ej_required",
                    "service_required",
                    "service_or_ej_required",
                    "reports_payment_status",
                    "payment_delay_days",
                    "edi_sender",
                    "edi_receiver",
                    "is_moa",
                    "is_moa_only",
                    "is_state",
                ]
            },
        ),
        (
            _("Adresse et contact"),
            {"fields": list(ADDRESS_AND_CONTACT_FIELDS)},
        ),
        (_("Mandat de facturation, création et dates"), {"fields": readonly_fields[2:]}),
    ]
    inlines = [ServiceInline, BankAccountInline, MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mandate_accepted_by", "created_by")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*self.identity_fields, *fields] if obj is not None else fields

    def service_check(self, request, form, obj):
        data = form.cleaned_data
        if "vat_number" in data:
            identity = obj if obj is not None else Structure(**{k: data.get(k, "") for k in self.identity_fields})
            data["vat_number"] = services.vat_number_check(
                vat_number=data["vat_number"], identifier_type=identity.identifier_type, identifier=identity.identifier
            )

    def service_create(self, request, form):
        data = dict(form.cleaned_data)
        identity = {name: data.pop(name) for name in [*self.identity_fields, "name"]}
        return services.structure_register(actor=request.user, **identity, **data)

    def service_update(self, request, obj, changed):
        return services.structure_update(structure=obj, actor=request.user, **changed)

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
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            ngettext("%(count)d service", "%(count)d services", count) % {"count": count},
            reverse("admin:structures_service_add") + f"?structure={obj.pk}",
            _("Ajouter un service"),
        )

    @admin.display(description=_("coordonnées bancaires"))
    def bank_accounts_link(self, obj):
        if obj is None or obj.pk is None or obj.is_public:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:structures_bankaccount_add") + f"?structure={obj.pk}",
            _("Ajouter des coordonnées bancaires"),
        )


@admin.register(Service)
class ServiceAdmin(ServiceSavedAdmin):
    list_display = ["code", "name", "structure", "is_active", "ej_required"]
    list_filter = ["is_active", "ej_required", "structure__kind"]
    search_fields = ["code", "name", "^structure__identifier"]
    search_help_text = _("Code ou nom du service, identifiant de la structure (depuis le début).")
    list_select_related = ["structure"]
    autocomplete_fields = ["structure"]
    show_full_result_count = False
    ordering = ["structure_id", "code"]  # the (structure, code) unique index: no sort of the table
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["structure", *fields] if obj is not None else fields

    def service_check(self, request, form, obj):
        data = form.cleaned_data
        structure = obj.structure if obj is not None else data.get("structure")
        if structure is not None and "code" in data:
            data["code"] = services.service_code_check(
                structure=structure, code=data["code"], exclude_pk=obj.pk if obj is not None else None
            )

    def service_create(self, request, form):
        data = dict(form.cleaned_data)
        return services.service_create(
            structure=data.pop("structure"), actor=request.user, code=data.pop("code"), name=data.pop("name"), **data
        )

    def service_update(self, request, obj, changed):
        return services.service_update(service=obj, actor=request.user, **changed)


@admin.register(BankAccount)
class BankAccountAdmin(ServiceSavedAdmin):
    form = BankAccountForm  # the portal's form: spaces removed, IBAN and BIC checked
    list_display = ["label", "structure", "iban", "bic", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["label", "iban", "^structure__identifier", "structure__name"]
    list_select_related = ["structure"]
    autocomplete_fields = ["structure"]
    readonly_fields = ["created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        return ["structure", "label", "iban", "bic", "is_active", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["structure", *fields] if obj is not None else fields

    def service_check(self, request, form, obj):
        data = form.cleaned_data
        structure = obj.structure if obj is not None else data.get("structure")
        if structure is not None:
            given = {name: data[name] for name in ("label", "iban", "bic") if name in data}
            data.update(
                services.bank_account_check(
                    structure=structure, fields=given, exclude_pk=obj.pk if obj is not None else None
                )
            )

    def service_create(self, request, form):
        data = form.cleaned_data
        return services.bank_account_create(
            structure=data["structure"],
            actor=request.user,
            label=data["label"],
            iban=data["iban"],
            bic=data["bic"],
            is_active=data.get("is_active", True),
        )

    def service_update(self, request, obj, changed):
        return services.bank_account_update(bank_account=obj, actor=request.user, **changed)


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
