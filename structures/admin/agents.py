"""Support's pages on a public structure: « Rattacher un agent » and « Détacher » an agent.

Both call ``structures.services.recipient_staff_attach`` / ``recipient_staff_detach`` (rules,
history, e-mail there). Anyone but support gets the French 403 page with the reason.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from structures import access, selectors, services
from structures.forms import RecipientStaffAttachForm, add_service_errors
from structures.models import Membership, Structure


class AgentPagesMixin:
    """For the StructureAdmin: the attach page, the detach confirmation and their URLs."""

    change_form_template = "admin/structures/structure/change_form.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/rattacher-agent/",
                self.admin_site.admin_view(self.attach_agent_view),
                name="{}_{}_attach_agent".format(*info),
            ),
            path(
                "<path:object_id>/detacher-agent/<int:membership_id>/",
                self.admin_site.admin_view(self.detach_agent_view),
                name="{}_{}_detach_agent".format(*info),
            ),
            *super().get_urls(),
        ]

    def _structure_for_support(self, request, object_id, reason: str) -> Structure:
        access.check_support(request.user, reason)
        structure = self.get_object(request, unquote(object_id))
        if structure is None:
            raise Http404
        return structure

    def _change_url(self, structure: Structure) -> str:
        return reverse("admin:structures_structure_change", args=[structure.pk])

    def _page(self, request, template: str, structure: Structure, **context):
        return TemplateResponse(
            request,
            f"admin/structures/structure/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": structure,
                "change_url": self._change_url(structure),
                **context,
            },
        )

    def attach_agent_view(self, request, object_id):
        structure = self._structure_for_support(
            request, object_id, _("Seul le support peut rattacher un agent à une structure publique.")
        )
        form = RecipientStaffAttachForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = services.recipient_staff_attach(actor=request.user, user=form.user, structure=structure)
            except ValidationError as exc:
                add_service_errors(form, exc, field="email")  # every refusal concerns the account
            else:
                self.message_user(
                    request,
                    _(
                        "%(user)s est rattaché à %(structure)s : il traite ses factures dans l'administration "
                        "et en est prévenu par e-mail."
                    )
                    % {"user": membership.user, "structure": structure.name},
                    messages.SUCCESS,
                )
                return redirect(self._change_url(structure))
        return self._page(
            request,
            "attach_agent.html",
            structure,
            form=form,
            title=_("Rattacher un agent à %(structure)s") % {"structure": structure.name},
            agents=selectors.members_of_structure(structure) if structure.is_public else [],
        )

    def detach_agent_view(self, request, object_id, membership_id):
        structure = self._structure_for_support(
            request, object_id, _("Seul le support peut détacher un agent d'une structure publique.")
        )
        membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, structure=structure)
        if request.method == "POST":
            try:
                services.recipient_staff_detach(actor=request.user, membership=membership)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(user)s est détaché de %(structure)s et en est prévenu par e-mail.")
                    % {"user": membership.user, "structure": structure.name},
                    messages.SUCCESS,
                )
            return redirect(self._change_url(structure))
        return self._page(
            request,
            "detach_agent.html",
            structure,
            membership=membership,
            title=_("Détacher %(user)s de %(structure)s") % {"user": membership.user, "structure": structure.name},
        )
