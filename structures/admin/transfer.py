"""Support's « Transférer la structure » page on a supplier structure (``structure_transfer``).

The rules, the history and the e-mails are in ``structures.services.transfer``; the page shows
its refusals next to the e-mail field. Anyone but support gets the French 403 page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from structures import access, services
from structures.forms import StructureTransferForm, add_service_errors


class TransferPageMixin:
    """For the StructureAdmin (with ``AgentPagesMixin``, whose page helpers it uses): the page and its URL."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transferer/",
                self.admin_site.admin_view(self.transfer_view),
                name="{}_{}_transfer".format(*info),
            ),
            *super().get_urls(),
        ]

    def transfer_view(self, request, object_id):
        structure = self._structure_for_support(request, object_id, _("Seul le support peut transférer une structure."))
        form = StructureTransferForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.structure_transfer(
                    actor=request.user,
                    structure=structure,
                    user=form.user,
                    previous=data["previous"],
                    comment=data["comment"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc, field="email")  # every refusal concerns the account
            else:
                self.message_user(
                    request,
                    _(
                        "%(user)s est désormais gestionnaire principal de %(structure)s ; l'ancien et le nouveau "
                        "gestionnaire sont prévenus par e-mail."
                    )
                    % {"user": membership.user, "structure": structure.name},
                    messages.SUCCESS,
                )
                return redirect(self._change_url(structure))
        return self._page(
            request,
            "transfer.html",
            structure,
            form=form,
            title=_("Transférer %(structure)s") % {"structure": structure.name},
            managers=list(access.main_manager_memberships(structure)),
        )
