"""Forms of the sollicitations: open one (member), reply (requester), "Nous contacter" (visitor).

The rules (lengths, files, the invoice's structure) are the service's; these forms normalise the
input and turn the invoice reference typed (identifier or number) into one of the structure's
invoices.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invoices import selectors
from invoices.forms.fields import MultipleFileField
from invoices.models import SollicitationCategory
from invoices.models.sollicitations import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from structures.validators import normalize_siret, validate_siret

FILES_HELP = _("Plusieurs fichiers possibles, 10 Mo chacun au maximum (PDF, images, bureautique, XML, ZIP…).")


def _category_field():
    return forms.ChoiceField(
        label=_("Catégorie"),
        choices=[("", _("Choisissez une catégorie"))] + list(SollicitationCategory.choices),
        error_messages={
            "required": _("Choisissez la catégorie de votre demande."),
            "invalid_choice": _("Choisissez une catégorie de la liste."),
        },
    )


def _subject_field():
    return forms.CharField(
        label=_("Objet"),
        max_length=MAX_SUBJECT_LENGTH,
        help_text=_("En quelques mots (150 caractères au plus)."),
        error_messages={
            "required": _("Saisissez l'objet de votre demande."),
            "max_length": _("L'objet compte au plus %(limit_value)d caractères (il en compte %(show_value)d)."),
        },
    )


def _body_field(label=None):
    return forms.CharField(
        label=label or _("Message"),
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("5 000 caractères au plus."),
        error_messages={
            "required": _("Saisissez votre message."),
            "max_length": _("Le message compte au plus %(limit_value)d caractères (il en compte %(show_value)d)."),
        },
    )


class SollicitationForm(forms.Form):
    """A member's new sollicitation; ``supplier`` (the current structure, or None for a personal
    request) gives the invoices it may be about."""

    category = _category_field()
    subject = _subject_field()
    invoice_reference = forms.CharField(
        label=_("Facture concernée"),
        required=False,
        max_length=50,
        help_text=_("Son identifiant Chorus Pro ou son numéro ; la liste propose vos dernières factures."),
    )
    body = _body_field()
    attachments = MultipleFileField(label=_("Pièces jointes"), help_text=FILES_HELP)

    def __init__(self, *args, supplier=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.supplier = supplier
        if supplier is None:
            del self.fields["invoice_reference"]
            self.invoice_choices = []
        else:
            self.invoice_choices = selectors.supplier_invoice_choices(supplier)
            self.fields["invoice_reference"].widget.attrs["list"] = "factures-recentes"

    def clean_invoice_reference(self):
        reference = " ".join(self.cleaned_data.get("invoice_reference", "").split())
        self.invoice = None
        if not reference:
            return ""
        invoices = selectors.supplier_invoices_by_reference(self.supplier, reference)
        if not invoices:
            raise ValidationError(
                _("Aucune facture de %(structure)s n'a l'identifiant ou le numéro « %(ref)s ».")
                % {"structure": self.supplier.name, "ref": reference}
            )
        if len(invoices) > 1:
            raise ValidationError(
                _("Plusieurs factures portent le numéro « %(ref)s » : saisissez plutôt l'identifiant Chorus Pro.")
                % {"ref": reference}
            )
        self.invoice = invoices[0]
        return reference


class SollicitationReplyForm(forms.Form):
    body = _body_field(_("Votre réponse"))
    attachments = MultipleFileField(label=_("Pièces jointes"), help_text=FILES_HELP)


class ContactForm(forms.Form):
    """ "Nous contacter", for visitors. ``site_web`` is a honeypot: hidden from people (and from
    assistive technologies), filled by robots; a message with it is dropped."""

    name = forms.CharField(
        label=_("Nom et prénom"), max_length=150, error_messages={"required": _("Saisissez votre nom.")}
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("La réponse du support vous sera envoyée à cette adresse. Format attendu : nom@domaine.fr"),
        error_messages={
            "required": _("Saisissez votre adresse e-mail."),
            "invalid": _("Saisissez une adresse e-mail valide, par exemple nom@domaine.fr."),
        },
    )
    siret = forms.CharField(
        label=_("SIRET de votre entreprise"),
        required=False,
        max_length=20,
        help_text=_("14 chiffres, les espaces sont acceptés."),
    )
    category = _category_field()
    subject = _subject_field()
    body = _body_field()
    site_web = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    def clean_siret(self):
        siret = normalize_siret(self.cleaned_data.get("siret", ""))
        if siret:
            validate_siret(siret)
        return siret

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get("site_web") or "").strip())
