"""The support's admin of sollicitations: the list (waiting for support first by filter), the thread
(read-only inline), and on each sollicitation's page the « Répondre » form: a message, files (not
for a visitor, answered by e-mail) and the status after the answer; or a status change alone.
Every write goes through ``invoices.services`` (checks, e-mails to the requester).

Who: support only (``structures.access.is_support``: a superuser, or staff with the support
permission); a ministry agent does not see this admin. No add nor delete: sollicitations come from
the portal; their history stays.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html_join, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from invoices import services
from invoices.downloads import download
from invoices.forms.fields import MultipleFileField
from invoices.models import Sollicitation, SollicitationAttachment, SollicitationMessage, SollicitationStatus
from invoices.models.sollicitations import MAX_BODY_LENGTH
from invoices.services.sollicitations import TOTAL_MESSAGE
from structures import access

NO_CHANGE = ""


class AnswerForm(forms.ModelForm):
    """The admin page's form: no model field is edited directly, only these three."""

    reply = forms.CharField(
        label=gettext_lazy("Réponse au demandeur"),
        required=False,
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=gettext_lazy("Envoyée par e-mail au demandeur et ajoutée au fil de la sollicitation."),
    )
    reply_attachments = MultipleFileField(
        label=gettext_lazy("Pièces jointes de la réponse"),
        help_text=gettext_lazy("10 Mo par fichier ; pas de pièce jointe pour un visiteur sans compte."),
    )
    new_status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        required=False,
        help_text=gettext_lazy(
            "Avec une réponse : « En cours » (par défaut) ou « Clôturée ». Sans réponse : le nouveau statut "
            "(une clôture est annoncée au demandeur par e-mail)."
        ),
    )

    class Meta:
        model = Sollicitation
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_status"].choices = [(NO_CHANGE, _("— inchangé / « En cours » avec une réponse —"))] + list(
            SollicitationStatus.choices
        )

    def clean(self):
        data = super().clean()
        reply = (data.get("reply") or "").strip()
        files = data.get("reply_attachments") or []
        status = data.get("new_status") or NO_CHANGE
        if files and not reply:
            self.add_error("reply", _("Écrivez la réponse qui accompagne les pièces jointes."))
        if reply and status == SollicitationStatus.OPEN:
            self.add_error("new_status", _("Après une réponse, la sollicitation est « En cours » ou « Clôturée »."))
        if files and self.instance.is_visitor:
            self.add_error(
                "reply_attachments",
                _(
                    "Ce visiteur n'a pas de compte : la réponse lui est envoyée par e-mail, sans pièce jointe. "
                    "Décrivez le document dans le message."
                ),
            )
        elif files:
            errors = services.upload_errors(files, total_message=TOTAL_MESSAGE)
            if errors:
                self.add_error("reply_attachments", errors)
        return data


class MessageInline(admin.StackedInline):
    """The thread, oldest first, read-only; files are downloaded through this admin."""

    model = SollicitationMessage
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["header", "text", "files"]
    readonly_fields = fields
    verbose_name = gettext_lazy("message")
    verbose_name_plural = gettext_lazy("fil de la sollicitation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("attachments")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.is_support(request.user)

    @admin.display(description=gettext_lazy("de"))
    def header(self, message):
        who = message.author.get_full_name() or message.author.email if message.author else ""
        date = message.created_at.strftime("%d/%m/%Y %H:%M")
        if who:
            return f"{message.get_author_kind_display()} ({who}), {date}"
        return f"{message.get_author_kind_display()}, {date}"

    @admin.display(description=gettext_lazy("message"))
    def text(self, message):
        return mark_safe(linebreaks(message.body, autoescape=True))  # noqa: S308 - escaped by linebreaks

    @admin.display(description=gettext_lazy("pièces jointes"))
    def files(self, message):
        attachments = list(message.attachments.all())
        if not attachments:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:invoices_sollicitation_attachment", args=[message.sollicitation_id, a.pk]),
                    a.original_filename,
                )
                for a in attachments
            ),
        )


@admin.register(Sollicitation)
class SollicitationAdmin(admin.ModelAdmin):
    form = AnswerForm
    inlines = [MessageInline]
    list_display = [
        "number",
        "subject",
        "category",
        "status",
        "awaiting_support",
        "requester",
        "structure",
        "last_message_at",
    ]
    list_display_links = ["number", "subject"]
    list_filter = ["status", "awaiting_support", "category"]
    search_fields = ["=contact_email", "=author__email", "=structure__identifier", "subject"]
    search_help_text = gettext_lazy("Adresse e-mail du demandeur, SIRET de la structure ou mots de l'objet.")
    list_select_related = ["structure", "author"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-last_message_at", "-id"]
    actions = ["close_selected", "in_progress_selected"]
    readonly_fields = [
        "number",
        "requester",
        "structure",
        "contact_siret",
        "category",
        "subject",
        "invoice_link",
        "status",
        "awaiting_support",
        "created_at",
        "last_message_at",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": readonly_fields}),
        (gettext_lazy("Répondre"), {"fields": ["reply", "reply_attachments", "new_status"]}),
    ]

    # --- Who may see it --------------------------------------------------------------------

    def has_module_permission(self, request):
        return access.is_support(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_support(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_support(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Columns ---------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("n°"), ordering="id")
    def number(self, sollicitation):
        return sollicitation.pk

    @admin.display(description=gettext_lazy("demandeur"))
    def requester(self, sollicitation):
        if sollicitation.author_id:
            user = sollicitation.author
            name = user.get_full_name()
            return f"{name} <{user.email}>" if name else user.email
        return _("%(name)s <%(email)s> (visiteur, « Nous contacter »)") % {
            "name": sollicitation.contact_name,
            "email": sollicitation.contact_email,
        }

    @admin.display(description=gettext_lazy("facture concernée"))
    def invoice_link(self, sollicitation):
        invoice = sollicitation.invoice
        if invoice is None:
            return "—"
        return f"{invoice.identifier or '(brouillon)'} — n° {invoice.number}"

    # --- Saving: the answer or the status through the services -----------------------------

    def save_model(self, request, obj, form, change):
        reply = (form.cleaned_data.get("reply") or "").strip()
        status = form.cleaned_data.get("new_status") or NO_CHANGE
        try:
            if reply:
                services.sollicitation_answer(
                    sollicitation=obj,
                    staff=request.user,
                    body=reply,
                    files=form.cleaned_data.get("reply_attachments") or [],
                    status=status or SollicitationStatus.IN_PROGRESS,
                )
                self.message_user(request, _("Réponse envoyée au demandeur par e-mail."), messages.SUCCESS)
            elif status and services.sollicitation_set_status(sollicitation=obj, staff=request.user, status=status):
                self.message_user(
                    request,
                    _("Statut changé : %(status)s.") % {"status": SollicitationStatus(status).label},
                    messages.SUCCESS,
                )
        except ValidationError as exc:  # checked by the form already; a race with another answer
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """The thread is read-only: nothing to save."""

    def construct_change_message(self, request, form, formsets, add=False):
        reply = (form.cleaned_data.get("reply") or "").strip()
        return _("Réponse au demandeur.") if reply else _("Statut.")

    # --- Actions on the list ---------------------------------------------------------------

    def _set_status(self, request, queryset, status):
        changed = 0
        for sollicitation in queryset.order_by("pk"):
            changed += services.sollicitation_set_status(sollicitation=sollicitation, staff=request.user, status=status)
        self.message_user(
            request,
            ngettext(
                "%(count)d sollicitation passée au statut « %(status)s ».",
                "%(count)d sollicitations passées au statut « %(status)s ».",
                changed,
            )
            % {"count": changed, "status": SollicitationStatus(status).label},
            messages.SUCCESS if changed else messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Clôturer les sollicitations sélectionnées (le demandeur est prévenu)"))
    def close_selected(self, request, queryset):
        self._set_status(request, queryset, SollicitationStatus.CLOSED)

    @admin.action(description=gettext_lazy("Passer les sollicitations sélectionnées « En cours »"))
    def in_progress_selected(self, request, queryset):
        self._set_status(request, queryset, SollicitationStatus.IN_PROGRESS)

    # --- Files -----------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pieces-jointes/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="invoices_sollicitation_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, object_id, attachment_id):
        if not access.is_support(request.user):
            raise PermissionDenied(_("Les sollicitations sont réservées au support."))
        sollicitation = self.get_object(request, unquote(object_id))
        if sollicitation is None:
            raise Http404
        try:
            attachment = SollicitationAttachment.objects.get(pk=attachment_id, message__sollicitation=sollicitation)
        except SollicitationAttachment.DoesNotExist:
            raise Http404 from None
        return download(attachment.file, filename=attachment.original_filename, content_type="application/octet-stream")
