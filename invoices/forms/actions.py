"""The forms of the supplier's actions on a sent invoice: "Recycler" and "Compléter"."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invoices import selectors
from invoices.forms.fields import SPACES, MultipleFileField
from invoices.models import MAX_ENGAGEMENT_LENGTH
from structures.models import Service


class RecycleForm(forms.Form):
    """ "Recycler": only the recipient SIRET, the code service and the EJ may change."""

    recipient_siret = forms.CharField(
        label=_("SIRET du destinataire"),
        max_length=20,
        help_text=_("14 chiffres, ceux de la structure publique de l'annuaire."),
        error_messages={"required": _("Saisissez le SIRET du destinataire.")},
    )
    service_code = forms.CharField(
        label=_("Code service du destinataire"),
        max_length=100,
        required=False,
        help_text=_("Facultatif selon le destinataire."),
    )
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (EJ, n° de commande)"),
        max_length=MAX_ENGAGEMENT_LENGTH,
        required=False,
        help_text=_("50 caractères au maximum."),
    )

    resend_unchanged = forms.BooleanField(
        label=_("Renvoyer sans modification"),
        required=False,
        help_text=_(
            "Seulement si le destinataire ou l'annuaire a été corrigé depuis la mise à recycler : la facture est "
            "alors acheminée de nouveau telle quelle."
        ),
    )

    def clean_recipient_siret(self):
        siret = "".join(ch for ch in self.cleaned_data["recipient_siret"] if not ch.isspace() and ch not in SPACES)
        recipient = selectors.public_recipient(siret)
        if recipient is None:
            raise ValidationError(
                _("Aucune structure publique de l'annuaire n'a le SIRET %(siret)s.") % {"siret": siret}
            )
        self.recipient = recipient
        return siret

    def clean(self):
        data = super().clean()
        data["recipient"] = getattr(self, "recipient", None)
        data["recipient_service"] = None
        code = (data.get("service_code") or "").strip()
        if code and data["recipient"] is not None:
            service = Service.objects.filter(structure=data["recipient"], code__iexact=code).first()
            if service is None:
                self.add_error(
                    "service_code",
                    _("Le destinataire %(name)s n'a pas de service de code %(code)s.")
                    % {"name": data["recipient"].name, "code": code},
                )
            data["recipient_service"] = service
        return data


class CompleteForm(forms.Form):
    """ "Compléter" a suspended invoice: attachments and/or a comment (the service requires one)."""

    attachments = MultipleFileField(
        label=_("Pièces jointes"),
        help_text=_("Plusieurs fichiers possibles, 10 Mo chacun au maximum (PDF, images, bureautique, XML, ZIP…)."),
    )
    comment = forms.CharField(
        label=_("Commentaire pour le destinataire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
