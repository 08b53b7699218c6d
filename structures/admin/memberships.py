"""Admin of memberships: read-only pages with their history; decisions and agents' detachment as
actions that call the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from structures import services
from structures.admin.base import ReadOnlyInline, SupportOnlyAdmin
from structures.models import Membership, MembershipEvent

FAILURES_SHOWN = 20


class MembershipEventInline(ReadOnlyInline):
    model = MembershipEvent
    fields = ["created_at", "action", "actor", "comment"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


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
    actions = ["approve_selected", "refuse_selected", "set_main_manager", "detach_agents"]

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

    @admin.action(description=_("Détacher les agents sélectionnés (structures publiques)"), permissions=["change"])
    def detach_agents(self, request, queryset):
        self._run(
            request,
            queryset.select_related("user", "structure"),
            lambda membership: services.recipient_staff_detach(actor=request.user, membership=membership),
            lambda n: ngettext("%(count)d agent détaché.", "%(count)d agents détachés.", n) % {"count": n},
        )
