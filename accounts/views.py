from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import ProfileForm, ResendActivationForm
from accounts.models import News

# Public pages whose text lives in templates/pages/<slug>.html.
PAGES = {
    "cgu": _("Conditions générales d'utilisation"),
    "mentions-legales": _("Mentions légales"),
    "accessibilite": _("Déclaration d'accessibilité"),
    "donnees-personnelles": _("Données personnelles"),
}


def home(request):
    """Public home page: presentation, login box, news."""
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    from allauth.account.forms import LoginForm

    news = News.objects.published()[:5]
    return render(request, "accounts/home.html", {"login_form": LoginForm(request=request), "news": news})


def page(request, slug):
    if slug not in PAGES:
        raise Http404
    return render(request, f"pages/{slug}.html", {"page_title": PAGES[slug]})


@login_required
def dashboard(request):
    """Accueil connecté."""
    return render(request, "accounts/dashboard.html", {"page_title": _("Accueil connecté")})


@login_required
def profile(request):
    """Mon compte: name, phone and contact e-mail; links to the password and e-mail pages."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Vos informations ont été enregistrées."))
        return redirect("accounts:profile")
    totp_active = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
    return render(
        request, "accounts/profile.html", {"form": form, "page_title": _("Mon compte"), "totp_active": totp_active}
    )


def resend_activation(request):
    """Ask for a new activation link (the previous one expired or was lost)."""
    form = ResendActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.activation_resend(request=request, email=form.cleaned_data["email"])
        messages.info(
            request,
            _(
                "Si un compte non encore activé utilise cette adresse, un nouveau lien d'activation "
                "vient de lui être envoyé. Un seul envoi est possible toutes les 3 minutes."
            ),
        )
        return redirect("accounts:resend_activation")
    return render(
        request, "accounts/resend_activation.html", {"form": form, "page_title": _("Renvoyer le lien d'activation")}
    )
