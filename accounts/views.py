from allauth.account.forms import LoginForm
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

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
    news = News.objects.published()[:5]
    return render(request, "accounts/home.html", {"login_form": LoginForm(request=request), "news": news})


def page(request, slug):
    if slug not in PAGES:
        raise Http404
    return render(request, f"pages/{slug}.html", {"page_title": PAGES[slug]})


@never_cache
@require_GET
@login_required
def session_status(request):
    """The session of the connected user, as JSON: the seconds left before it expires (for a page
    that warns before the end of the session). Loads the session and the user, nothing else: the
    benchmark's logged-in trivial view."""
    return JsonResponse({"connecte": True, "expire_dans": request.session.get_expiry_age()})


@login_required
def profile(request):
    """Mon compte: name, phone and contact e-mail; links to the password, e-mail and 2FA pages."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        sent = services.user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Vos informations ont été enregistrées."))
        if sent:
            messages.info(
                request,
                _(
                    "Un lien de confirmation a été envoyé à %(email)s : cette adresse recevra les notifications "
                    "une fois confirmée. D'ici là, elles restent envoyées à votre adresse de connexion."
                )
                % {"email": request.user.contact_email_pending},
            )
        return redirect("accounts:profile")
    totp_active = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
    return render(
        request, "accounts/profile.html", {"form": form, "page_title": _("Mon compte"), "totp_active": totp_active}
    )


@login_required
@require_POST
def contact_email_resend(request):
    """Send the confirmation link of the pending contact address again."""
    if services.contact_email_resend(user=request.user):
        messages.info(
            request,
            _("Un nouveau lien de confirmation a été envoyé à %(email)s.")
            % {"email": request.user.contact_email_pending},
        )
    elif request.user.contact_email_pending:
        messages.warning(request, _("Un lien vient déjà d'être envoyé : réessayez dans quelques minutes."))
    return redirect("accounts:profile")


@login_required
def contact_email_confirm(request, token):
    """The link of the confirmation e-mail: a page with a button (mail scanners only GET links)."""
    error = None
    if request.method == "POST":
        try:
            email = services.contact_email_confirm(user=request.user, token=token)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request,
                _("L'adresse %(email)s est confirmée : elle reçoit désormais vos notifications.") % {"email": email},
            )
            return redirect("accounts:profile")
    context = {"error": error, "page_title": _("Confirmer l'adresse e-mail de contact")}
    return render(request, "accounts/contact_email_confirm.html", context)


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
