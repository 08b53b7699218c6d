"""Django admin for support staff: structures, services, bank details, EJ and memberships.

Only support (``structures.access.is_support``: a superuser, or a staff user with the
``structures.support`` permission of the « Support » group) opens these pages; a ministry agent,
staff to handle invoices, gets the French 403 page even if given model permissions. Decisions on memberships go through ``structures.services`` (admin actions), so e-mails and the
history (``MembershipEvent``) are the same as in the portal; the membership form is read-only.
Directory tables hold hundreds of thousands of rows: changelists join their foreign keys
(``list_select_related``), pick foreign keys through ``autocomplete_fields``, skip the second
``COUNT(*)`` (``show_full_result_count = False``) and search identifiers by prefix (``^``), which
also finds every establishment of a SIREN.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from structures import access, services
from structures.models import (
    ADDRESS_AND_CONTACT_FIELDS,
    BankAccount,
    EngagementJuridique,
    Membership,
    MembershipEvent,
    Service,
    Structure,
)
from structures.validators import normalize_bic, normalize_iban

FAILURES_SHOWN = 20
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


class SupportOnlyAdmin(admin.ModelAdmin):
    """Pages for support only: the model permissions are asked on top of the support rule."""

    def has_module_permission(self, request):
        return access.is_support(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return access.is_support(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_delete_permission(request, obj)


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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(ReadOnlyInline):
    """Members of a structure; decisions are taken from the membership list (actions)."""

    model = Membership
    fields = ["user", "role", "status", "requested_at", "decided_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("rattachements (décisions depuis la liste des rattachements)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class MembershipEventInline(ReadOnlyInline):
    model = MembershipEvent
    fields = ["created_at", "action", "actor", "comment"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


# --- Structures -------------------------------------------------------------------------------


@admin.register(Structure)
class StructureAdmin(SupportOnlyAdmin):
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


# --- Memberships ------------------------------------------------------------------------------


@admin.register(Membership)
class MembershipAdmin(SupportOnlyAdmin):
    list_display = ["user", "structure", "role", "status", "requested_at", "decided_at"]
    list_filter = ["status", "role", "structure__kind"]
    search_fields = ["user__email", "user__last_name", "^structure__identifier", "structure__name"]
    search_help_text = _("E-mail ou nom de l'utilisateur, identifiant ou raison sociale de la structure.")
    list_select_related = ["user", "structure"]
    date_hierarchy = "requested_at"
    fields = [
        "user",
        "structure",
        "role",
        "status",
        "message",
        "requested_at",
        "decided_at",
        "decided_by",
        "decision_comment",
    ]
    readonly_fields = fields  # decisions only through the actions (services)
    inlines = [MembershipEventInline]
    actions = ["approve_selected", "refuse_selected", "set_main_manager"]

    def has_add_permission(self, request):
        # Memberships come from the portal: a structure's creation or a demande de rattachement.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "structure", "decided_by")

    def _run(self, request, memberships, call, success, failures=None):
        """Call ``call(membership)`` for each membership; report what was done and what was not."""
        done = 0
        failures = list(failures or [])
        for membership in memberships:
            try:
                with transaction.atomic():
                    call(membership)
            except ValidationError as exc:
                failures.append((membership, " ".join(exc.messages)))
            except PermissionDenied as exc:
                failures.append((membership, str(exc)))
            else:
                done += 1
        if done:
            self.message_user(request, success(done), messages.SUCCESS)
        if failures:
            self.message_user(
                request,
                ngettext(
                    "%(count)d rattachement n'a pas été traité :",
                    "%(count)d rattachements n'ont pas été traités :",
                    len(failures),
                )
                % {"count": len(failures)},
                messages.ERROR,
            )
            for membership, reason in failures[:FAILURES_SHOWN]:
                self.message_user(
                    request,
                    _("%(user)s — %(structure)s : %(reason)s")
                    % {"user": membership.user, "structure": membership.structure, "reason": reason},
                    messages.ERROR,
                )
            if len(failures) > FAILURES_SHOWN:
                self.message_user(
                    request,
                    _("… et %(count)d autres.") % {"count": len(failures) - FAILURES_SHOWN},
                    messages.ERROR,
                )

    @admin.action(description=_("Valider les demandes sélectionnées"), permissions=["change"])
    def approve_selected(self, request, queryset):
        self._run(
            request,
            queryset.select_related("user", "structure"),
            lambda membership: services.membership_approve(membership=membership, actor=request.user),
            lambda n: ngettext("%(count)d demande validée.", "%(count)d demandes validées.", n) % {"count": n},
        )

    @admin.action(description=_("Refuser les demandes sélectionnées"), permissions=["change"])
    def refuse_selected(self, request, queryset):
        self._run(
            request,
            queryset.select_related("user", "structure"),
            lambda membership: services.membership_refuse(membership=membership, actor=request.user),
            lambda n: ngettext("%(count)d demande refusée.", "%(count)d demandes refusées.", n) % {"count": n},
        )

    @admin.action(description=_("Nommer gestionnaire principal"), permissions=["change"])
    def set_main_manager(self, request, queryset):
        # One gestionnaire principal per structure: naming two at once would keep only the last.
        chosen, failures, seen = [], [], set()
        for membership in queryset.select_related("user", "structure").order_by("structure_id", "pk"):
            if membership.structure_id in seen:
                failures.append(
                    (
                        membership,
                        str(_("une seule personne par structure peut être nommée gestionnaire principal à la fois.")),
                    )
                )
                continue
            seen.add(membership.structure_id)
            chosen.append(membership)
        self._run(
            request,
            chosen,
            lambda membership: services.membership_set_main_manager(membership=membership, actor=request.user),
            lambda n: (
                ngettext("%(count)d gestionnaire principal nommé.", "%(count)d gestionnaires principaux nommés.", n)
                % {"count": n}
            ),
            failures=failures,
        )
