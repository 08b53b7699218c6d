"""Forms of the supplier pages and of the support admin. They validate and normalise input; services write."""

from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chorus.forms import form_helper
from structures import selectors, services
from structures.models import BankAccount, IdentifierType, Service, Structure
from structures.services.transfer import DEMOTE, DETACH
from structures.validators import (
    normalize_bic,
    normalize_iban,
    normalize_siret,
    validate_bic,
    validate_iban,
    validate_siret,
)

ADDRESS_FIELDS = ["address_line1", "address_line2", "postal_code", "city"]
CONTACT_FIELDS = ["email", "phone"]


def add_service_errors(form: forms.Form, exc: ValidationError, *, field: str | None = None) -> None:
    """Show a service's ValidationError next to its field when the form has it, above otherwise;
    with ``field``, every message next to that one field (a page whose refusals all concern it)."""
    if field is not None:
        form.add_error(field, exc.messages)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _vat_number(value: str, identifier_type: str = "", identifier: str = "") -> str:
    """The VAT rule of the services (same SIREN), its message for the field."""
    try:
        return services.vat_number_check(vat_number=value, identifier_type=identifier_type, identifier=identifier)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["vat_number"]) from None


class StructureCreateForm(forms.Form):
    """Fiche structure of a supplier: identifier, raison sociale, address, VAT, contact."""

    identifier_type = forms.ChoiceField(
        label=_("Type d'identifiant"), choices=IdentifierType.choices, initial=IdentifierType.SIRET
    )
    identifier = forms.CharField(
        label=_("Identifiant"),
        max_length=80,
        help_text=_("Pour un SIRET : 14 chiffres, les espaces sont acceptés (ex. : 732 829 320 00074)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Raison sociale"), max_length=255, widget=forms.TextInput(attrs={"autocomplete": "organization"})
    )
    address_line1 = forms.CharField(
        label=_("Adresse"), max_length=255, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_line2 = forms.CharField(
        label=_("Complément d'adresse"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label=_("Code postal"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        label=_("Ville"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    vat_number = forms.CharField(
        label=_("Numéro de TVA intracommunautaire"),
        max_length=30,
        required=False,
        help_text=_("Avec le code pays, ex. : FR40303265045."),
    )
    email = forms.EmailField(
        label=_("Adresse e-mail de la structure"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"), max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit_label=_("Créer la structure"))
        self.helper.layout = Layout(
            Fieldset(_("Identification"), "identifier_type", "identifier", "name", "vat_number"),
            Fieldset(_("Adresse"), *ADDRESS_FIELDS),
            Fieldset(_("Contact"), *CONTACT_FIELDS),
        )

    def clean(self):
        cleaned = super().clean()
        identifier_type = cleaned.get("identifier_type")
        identifier = cleaned.get("identifier")
        if identifier is not None:
            identifier = identifier.strip()
            if identifier_type == IdentifierType.SIRET:
                identifier = normalize_siret(identifier)
                try:
                    validate_siret(identifier)
                except ValidationError as exc:
                    self.add_error("identifier", exc)
                    identifier = None
            if identifier is not None:
                cleaned["identifier"] = identifier
        if "vat_number" in cleaned:
            try:
                cleaned["vat_number"] = _vat_number(cleaned["vat_number"], identifier_type, identifier or "")
            except ValidationError as exc:
                self.add_error("vat_number", exc)
        return cleaned


class StructureUpdateForm(forms.ModelForm):
    class Meta:
        model = Structure
        fields = ["name", "vat_number", *ADDRESS_FIELDS, "address_line3", *CONTACT_FIELDS]
        labels = {
            "name": _("Raison sociale"),
            "address_line2": _("Complément d'adresse"),
            "address_line3": _("Complément d'adresse (suite)"),
            "email": _("Adresse e-mail de la structure"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_number"].max_length = 30
        self.fields["vat_number"].widget.attrs["maxlength"] = 30
        self.fields["vat_number"].help_text = _("Avec le code pays, ex. : FR40303265045.")
        self.helper = form_helper(submit_label=_("Enregistrer les modifications"))
        self.helper.layout = Layout(
            Fieldset(_("Identification"), "name", "vat_number"),
            Fieldset(_("Adresse"), "address_line1", "address_line2", "address_line3", "postal_code", "city"),
            Fieldset(_("Contact"), *CONTACT_FIELDS),
        )

    def clean_vat_number(self):
        return _vat_number(self.cleaned_data["vat_number"], self.instance.identifier_type, self.instance.identifier)


class StructureSearchForm(forms.Form):
    q = forms.CharField(
        label=_("SIRET ou raison sociale"),
        max_length=255,
        help_text=_("Au moins 3 premiers chiffres du SIRET, ou la raison sociale exacte."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit_label=_("Rechercher"), form_method="get", disable_csrf=True)

    def clean_q(self):
        query = self.cleaned_data["q"].strip()
        compact = "".join(query.split())
        if compact.isdigit() and len(compact) < selectors.SEARCH_MIN_DIGITS:
            raise ValidationError(
                _("Saisissez au moins %(count)d chiffres du SIRET.") % {"count": selectors.SEARCH_MIN_DIGITS}
            )
        return query


class MembershipRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message au gestionnaire principal"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facultatif : présentez-vous (fonction, service) pour faciliter la validation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit_label=_("Envoyer la demande de rattachement"))


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["code", "name", "email", "phone"]
        labels = {"code": _("Code service"), "name": _("Nom du service")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["is_active"] = forms.BooleanField(
                label=_("Service actif"), required=False, initial=self.instance.is_active
            )
        self.helper = form_helper(submit_label=_("Enregistrer le service"))

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class BankAccountForm(forms.ModelForm):
    # Wider than the stored value: spaces typed between groups are stripped here.
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("Ex. : FR76 3000 6000 0112 3456 7890 189. Les espaces sont acceptés."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        help_text=_("8 ou 11 caractères, ex. : AGRIFRPPXXX."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    class Meta:
        model = BankAccount
        fields = ["label", "iban", "bic"]
        labels = {"label": _("Libellé")}
        help_texts = {"label": _("Pour retrouver ce compte parmi les autres, ex. : Compte principal.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["is_active"] = forms.BooleanField(
                label=_("Coordonnées actives"), required=False, initial=self.instance.is_active
            )
        self.helper = form_helper(submit_label=_("Enregistrer les coordonnées bancaires"))

    def clean_iban(self):
        iban = normalize_iban(self.cleaned_data["iban"])
        validate_iban(iban)
        return iban

    def clean_bic(self):
        bic = normalize_bic(self.cleaned_data["bic"])
        validate_bic(bic)
        return bic


class MembershipDecisionForm(forms.Form):
    """Comment shared by the decisions of one POST (for instance the reason of a refusal)."""

    comment = forms.CharField(
        label=_("Commentaire adressé aux demandeurs"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Facultatif ; il figure dans l'e-mail envoyé à chaque demandeur."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(form_tag=False)


class MandateForm(forms.Form):
    accept_mandate = forms.BooleanField(
        label=_(
            "J'accepte, au nom de la structure, le mandat de facturation permettant la saisie de factures "
            "sur le portail"
        ),
        error_messages={"required": _("Vous devez accepter le mandat de facturation pour saisir des factures.")},
    )

    def __init__(self, *args, needs_cgu: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_cgu:
            self.fields["accept_cgu"] = forms.BooleanField(
                label=_("J'accepte les conditions générales d'utilisation du portail"),
                error_messages={"required": _("Vous devez accepter les conditions générales d'utilisation.")},
            )
        self.helper = form_helper(submit_label=_("Accepter"))


class RecipientStaffAttachForm(forms.Form):
    """Support's « Rattacher un agent » page: the login e-mail of an existing portal account."""

    email = forms.EmailField(
        label=_("Adresse e-mail de l'agent"),
        help_text=_("L'adresse de connexion de son compte : l'agent crée d'abord son compte sur le portail."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        self.user = selectors.user_by_email(email)
        if self.user is None:
            raise ValidationError(
                _("Aucun compte n'utilise l'adresse %(email)s : l'agent doit d'abord créer son compte sur le portail.")
                % {"email": email}
            )
        return email


class StructureTransferForm(forms.Form):
    """Support's « Transférer la structure » page: the new gestionnaire principal (an existing
    portal account, by its login e-mail) and what becomes of the current one."""

    email = forms.EmailField(
        label=_("Adresse e-mail du nouveau gestionnaire principal"),
        help_text=_("L'adresse de connexion de son compte : la personne crée d'abord son compte sur le portail."),
    )
    previous = forms.ChoiceField(
        label=_("Gestionnaire principal actuel"),
        choices=[
            (DEMOTE, _("reste rattaché, en tant qu'utilisateur")),
            (DETACH, _("est détaché de la structure")),
        ],
        initial=DEMOTE,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Motif (inscrit à l'historique)"), required=False, max_length=500, widget=forms.Textarea({"rows": 3})
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        self.user = selectors.user_by_email(email)
        if self.user is None:
            raise ValidationError(
                _(
                    "Aucun compte n'utilise l'adresse %(email)s : la personne doit d'abord créer son compte sur le portail."
                )
                % {"email": email}
            )
        return email
