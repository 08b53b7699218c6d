from allauth.account.adapter import get_adapter
from crispy_forms.layout import Layout
from django import forms
from django.core.validators import RegexValidator
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chorus.forms import form_helper

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 .\-]{8,18}[0-9]$",
    _("Saisissez un numéro de téléphone valide, par exemple 01 23 45 67 89 ou +33 1 23 45 67 89."),
)


def _cgu_label():
    return format_html(
        '<span>J\'accepte les <a href="{}" target="_blank" rel="noopener" title="{}">{}</a></span>',
        reverse_lazy("page", kwargs={"slug": "cgu"}),
        "Conditions générales d'utilisation - nouvelle fenêtre",
        "conditions générales d'utilisation",
    )


class SignupForm(forms.Form):
    """Extra fields of the sign-up form (allauth adds e-mail and passwords)."""

    first_name = forms.CharField(
        label=_("Prénom"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=20,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    accept_cgu = forms.BooleanField(
        label=lazy(_cgu_label, str)(),
        error_messages={
            "required": _("Vous devez accepter les conditions générales d'utilisation pour créer un compte.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(form_tag=False)
        self.helper.layout = Layout("email", "first_name", "last_name", "phone", "password1", "password2", "accept_cgu")
        self.helper.render_unmentioned_fields = True

    def clean(self):
        cleaned_data = super().clean()
        # allauth's enumeration prevention would quietly mail the owner instead; the portal keeps
        # saying, next to the field, that the address is taken (a deliberate choice, see README).
        if getattr(self, "account_already_exists", False):
            self.add_error("email", get_adapter().error_messages["email_taken"])
        return cleaned_data

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.phone = self.cleaned_data.get("phone", "").strip()
        user.cgu_accepted_at = timezone.now()
        user.save()


class ProfileForm(forms.ModelForm):
    # Not a model field of the form: a new address only becomes the contact address once confirmed
    # (accounts.services.user_update_profile), so the form must not write it on the instance.
    contact_email = forms.EmailField(
        label=_("Adresse e-mail de contact"),
        required=False,
        help_text=_(
            "Adresse où recevoir les notifications, si elle diffère de celle de connexion. Elle est utilisée "
            "une fois confirmée par le lien qui lui est envoyé."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone"]
        labels = {
            "first_name": _("Prénom"),
            "last_name": _("Nom"),
            "phone": _("Téléphone"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)
        self.fields["contact_email"].initial = self.instance.contact_email_pending or self.instance.contact_email
        self.helper = form_helper(submit_label=_("Enregistrer les modifications"))


class ResendActivationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de connexion"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit_label=_("Renvoyer le lien d'activation"))
