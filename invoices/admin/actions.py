"""The staff's actions on invoices: the action form the table asks for, the bulk actions of the list
(and the list's action bar, ``ActionBarForm``) and the action page of one invoice, which pre-check
with the table and enqueue the transition task."""

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from invoices import lifecycle, services, workflow
from invoices.admin._common import status_with_code
from invoices.models import Motif, MotifCategory, TransitionRequestState

MAX_ACTION_INVOICES = 1000
IDENTIFIERS_SHOWN = 20
INVOICES_SHOWN = 100


class KeptWidget:
    """A widget's markup kept by the process for the same class, language, template, name, value,
    attributes, choices and renderer (everything it is made of). The action bar of each list page
    rendered its 15 options and its hidden input through the widget templates: ~1 ms of each page
    (issue 9). Choices that cannot be keyed (nested groups, unhashable values) are rendered each
    time."""

    KEPT_MAX = 64
    _kept: dict = {}

    def render(self, name, value, attrs=None, renderer=None):
        choices = tuple(getattr(self, "choices", ()))
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        key = (
            type(self),
            get_language(),
            self.template_name,
            name,
            value,
            tuple(sorted({**self.attrs, **(attrs or {})}.items())),
            tuple((option, str(label)) for option, label in choices),
            renderer,
        )
        try:
            html = self._kept.get(key)
        except TypeError:  # an unhashable value or attribute
            return super().render(name, value, attrs, renderer)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(self._kept) < self.KEPT_MAX:
                self._kept[key] = html
        return html


class KeptSelect(KeptWidget, forms.Select):
    """Django's ``Select``, kept (``KeptWidget``)."""


class KeptHiddenInput(KeptWidget, forms.HiddenInput):
    """Django's ``HiddenInput``, kept (``KeptWidget``)."""


class ActionBarForm(helpers.ActionForm):
    """Django's action form (same fields, labels and validation), its widgets kept."""

    action = forms.ChoiceField(label=helpers.ActionForm.base_fields["action"].label, widget=KeptSelect)
    select_across = forms.BooleanField(
        label="",
        required=False,
        initial=0,
        widget=KeptHiddenInput(helpers.ActionForm.base_fields["select_across"].widget.attrs),
    )


class TransitionForm(forms.Form):
    """What an action needs besides the invoices, as the table says: a motif among those its
    ``MotifRule`` accepts (``lifecycle.motifs_for``), a n° de mandat, an optional comment."""

    motif = forms.ChoiceField(
        label=gettext_lazy("Motif"),
        error_messages={"required": gettext_lazy("Choisissez un motif.")},
    )
    mandate_number = forms.CharField(
        label=gettext_lazy("Numéro de mandat"),
        max_length=50,
        error_messages={"required": gettext_lazy("Le numéro de mandat est obligatoire pour mandater une facture.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy("Visible par le fournisseur."),
    )

    def __init__(self, *args, transition: workflow.Transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.motif_required:
            self.motifs = lifecycle.motifs_for(transition)
            self.fields["motif"].choices = [("", "---------"), *self._grouped(self.motifs)]
        else:
            del self.fields["motif"]
        if not transition.mandate_number_required:
            del self.fields["mandate_number"]

    @staticmethod
    def _grouped(motifs):
        labels = dict(MotifCategory.choices)
        groups = defaultdict(list)
        for code, label, category in motifs.order_by("category", "position", "code").values_list(
            "code", "label", "category"
        ):
            groups[category].append((code, label))
        return [(labels.get(category, category), choices) for category, choices in groups.items()]

    def clean_motif(self):
        code = self.cleaned_data["motif"]
        try:
            return self.motifs.get(code=code)
        except Motif.DoesNotExist:
            raise forms.ValidationError(_("Ce motif n'est pas disponible pour cette action.")) from None

    def clean_mandate_number(self):
        return self.cleaned_data["mandate_number"].strip()

    def clean_comment(self):
        return self.cleaned_data["comment"].strip()

    @property
    def needed(self) -> bool:
        """Whether the changelist must show this form before acting."""
        return self.transition.needs_input


def make_action(transition: workflow.Transition):
    def action(modeladmin, request, queryset):
        return modeladmin.transition_action(request, queryset, transition)

    action.__name__ = f"transition_{transition.name}"
    description = f"{transition.label}…" if transition.needs_input else transition.label
    return admin.action(description=description, permissions=["transition"])(action)


class TransitionActions:
    """The transition views and actions of ``InvoiceAdmin`` (a ModelAdmin giving ``_scoped_invoice``
    and ``has_transition_permission``)."""

    def transition_view(self, request, object_id, transition):
        """The action page of one invoice (from its detail page): the form, then the queue."""
        invoice = self._scoped_invoice(request, object_id)
        if not self.has_transition_permission(request):
            raise PermissionDenied
        t = workflow.TRANSITIONS.get(transition)
        if t is None or workflow.Actor.RECIPIENT not in t.actors:
            raise Http404(_("Action inconnue."))
        change_url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
        try:  # the status first: no form to fill for an action that cannot apply
            workflow.check(
                status=invoice.status, transition=t.name, actor=workflow.Actor.RECIPIENT, motif="-", mandate_number="-"
            )
        except workflow.TransitionError as exc:
            self.message_user(request, f"{invoice.identifier} : {exc}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            form = TransitionForm(request.POST, transition=t)
            if form.is_valid():
                self._queue(request, t, [(invoice.pk, invoice.identifier, invoice.status)], form.cleaned_data)
                return HttpResponseRedirect(change_url)
        else:
            form = TransitionForm(transition=t)
        return self._form_page(request, t, form, [invoice], invoice=invoice, cancel_url=change_url)

    def transition_action(self, request, queryset, transition: workflow.Transition):
        """A bulk action of the list: the form first when the transition needs a motif or a n° de
        mandat (as Django's delete confirmation), then the queue."""
        rows = list(queryset.order_by("pk").values_list("pk", "identifier", "status")[: MAX_ACTION_INVOICES + 1])
        if len(rows) > MAX_ACTION_INVOICES:
            self.message_user(
                request,
                _(
                    "Une action porte sur %(max)d factures au plus : affinez la sélection, ou utilisez la "
                    "commande invoices_transition."
                )
                % {"max": MAX_ACTION_INVOICES},
                messages.ERROR,
            )
            return None
        if not request.POST.get("select_across") or request.POST.get("select_across") == "0":
            posted = {v for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if v}
            missing = len(posted) - len(rows)
        else:
            missing = 0
        form = TransitionForm(request.POST if request.POST.get("post") == "yes" else None, transition=transition)
        if form.needed and not form.is_bound:
            return self._form_page(request, transition, form, rows, action=f"transition_{transition.name}")
        if form.needed and not form.is_valid():
            return self._form_page(request, transition, form, rows, action=f"transition_{transition.name}")
        data = form.cleaned_data if form.needed else {}
        self._queue(request, transition, rows, data, missing=missing)
        return None

    def _form_page(self, request, transition, form, rows, *, action="", invoice=None, cancel_url=""):
        """The intermediate page: the invoices concerned, the form, confirm or cancel."""
        if invoice is not None:
            rows = [(invoice.pk, invoice.identifier, invoice.status)]
        shown = [(pk, identifier, status_with_code(status)) for pk, identifier, status in rows[:INVOICES_SHOWN]]
        context = {
            **self.admin_site.each_context(request),
            "title": transition.label,
            "subtitle": None,
            "opts": self.opts,
            "transition": transition,
            "form": form,
            "invoice": invoice,
            "invoices": shown,
            "count": len(rows),
            "more": max(0, len(rows) - INVOICES_SHOWN),
            "selected": [pk for pk, _identifier, _status in rows],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": cancel_url or reverse("admin:invoices_invoice_changelist"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/invoices/invoice/transition.html", context)

    def _queue(self, request, transition, rows, data, *, missing: int = 0) -> int:
        """Pre-check each (pk, identifier, status) and enqueue the allowed ones after the commit;
        report what was queued, then what was not and why, grouped by reason."""
        motif = data.get("motif")
        comment = data.get("comment", "")
        mandate_number = data.get("mandate_number", "")
        accepted: list[int] = []
        refused: dict[tuple[int, str], list[str]] = defaultdict(list)
        for pk, identifier, status in rows:
            try:
                workflow.check(
                    status=status,
                    transition=transition.name,
                    actor=workflow.Actor.RECIPIENT,
                    motif=motif.code if motif else None,
                    mandate_number=mandate_number,
                )
            except workflow.AlreadyApplied as exc:
                refused[(messages.WARNING, str(exc))].append(identifier)
            except workflow.TransitionError as exc:
                refused[(messages.ERROR, str(exc))].append(identifier)
            else:
                accepted.append(pk)
        queued = len(accepted)
        if queued:
            # Durable requests, written with this answer: a broker outage delays them, never loses them.
            services.transition_requests_create(
                invoice_ids=accepted,
                transition=transition,
                user=request.user,
                motif=motif,
                comment=comment,
                mandate_number=mandate_number,
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d facture envoyée au traitement (« %(action)s ») : son statut est mis à jour "
                    "dans quelques instants.",
                    "%(count)d factures envoyées au traitement (« %(action)s ») : leur statut est mis à jour "
                    "dans quelques instants.",
                    queued,
                )
                % {"count": queued, "action": transition.label},
                messages.SUCCESS,
            )
        self._report_refusals(request, refused)
        if missing > 0:
            self.message_user(
                request,
                ngettext(
                    "%(count)d facture introuvable ou hors de vos structures : non traitée.",
                    "%(count)d factures introuvables ou hors de vos structures : non traitées.",
                    missing,
                )
                % {"count": missing},
                messages.ERROR,
            )
        return queued

    def _report_refusals(self, request, refused: dict, *, prefix: str = "") -> None:
        """One message per (level, reason): how many invoices, a few identifiers, the reason."""
        for (level, reason), identifiers in refused.items():
            shown = ", ".join(identifiers[:IDENTIFIERS_SHOWN])
            if len(identifiers) > IDENTIFIERS_SHOWN:
                shown += " " + _("et %(count)d autres") % {"count": len(identifiers) - IDENTIFIERS_SHOWN}
            self.message_user(
                request,
                prefix
                + ngettext("%(count)d facture non traitée", "%(count)d factures non traitées", len(identifiers))
                % {"count": len(identifiers)}
                + f" — {shown} : {reason}",
                level,
            )

    def report_processed_requests(self, request) -> None:
        """Tell the agent what the workers did with their requests since their last page: applied,
        already applied, refused (with the reason the worker found)."""
        rows = services.transition_requests_unseen(user=request.user)
        if not rows:
            return
        applied: dict[str, int] = defaultdict(int)
        refused: dict[tuple[int, str], list[str]] = defaultdict(list)
        for row in rows:
            label = (
                workflow.TRANSITIONS[row.transition].label if row.transition in workflow.TRANSITIONS else row.transition
            )
            identifier = row.invoice.identifier or str(row.invoice_id)
            if row.state == TransitionRequestState.APPLIED:
                applied[label] += 1
            else:
                level = messages.WARNING if row.state == TransitionRequestState.ALREADY else messages.ERROR
                refused[(level, f"« {label} » : {row.result}")].append(identifier)
        for label, count in applied.items():
            self.message_user(
                request,
                ngettext(
                    "Traitement terminé : %(count)d facture passée à « %(action)s ».",
                    "Traitement terminé : %(count)d factures passées à « %(action)s ».",
                    count,
                )
                % {"count": count, "action": label},
                messages.SUCCESS,
            )
        self._report_refusals(request, refused, prefix=_("Traitement terminé : "))
