"""Admin of accounts: users, news, and the e-mail outbox (read-only rows, "Renvoyer")."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import News, OutboxEmail, User
from accounts.services import outbox_retry


class UserCreationAdminForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    # Contact addresses change only through "Mon compte" and the link sent to them.
    readonly_fields = ["date_joined", "last_login", "cgu_accepted_at", "contact_email", "contact_email_pending"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Identité"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "phone",
                    "contact_email",
                    "contact_email_pending",
                    "cgu_accepted_at",
                )
            },
        ),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )


@admin.register(News)
class NewsAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "published_until", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """What the portal wrote to whom and whether it went; rows are never edited nor deleted here.
    "Renvoyer" gives failed or stuck e-mails another chance (``outbox_retry``, as the command)."""

    list_display = ["id", "subject", "recipients", "state", "attempts", "created_at", "sent_at", "short_error"]
    list_filter = ["state"]
    search_fields = ["subject", "to", "idempotency_key"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    actions = ["resend"]
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "state",
        "subject",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "from_email",
        "body",
        "html_body",
        "headers",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
        "idempotency_key",
    ]
    readonly_fields = fields

    @admin.display(description=_("destinataires"))
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=_("dernière erreur"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("accounts.change_outboxemail")

    @admin.action(description=_("Renvoyer les e-mails sélectionnés"), permissions=["resend"])
    def resend(self, request, queryset):
        report = outbox_retry(ids=list(queryset.values_list("pk", flat=True)))
        if report.requeued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail remis en file d'envoi.",
                    "%(count)d e-mails remis en file d'envoi.",
                    len(report.requeued),
                )
                % {"count": len(report.requeued)},
                messages.SUCCESS,
            )
        if report.already_sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail déjà envoyé : il n'est pas renvoyé.",
                    "%(count)d e-mails déjà envoyés : ils ne sont pas renvoyés.",
                    len(report.already_sent),
                )
                % {"count": len(report.already_sent)},
                messages.WARNING,
            )
        if report.in_progress:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail en cours d'envoi par un worker : laissé à celui-ci.",
                    "%(count)d e-mails en cours d'envoi par un worker : laissés à celui-ci.",
                    len(report.in_progress),
                )
                % {"count": len(report.in_progress)},
                messages.WARNING,
            )
