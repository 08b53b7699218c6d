"""« Accès API » in Activités du gestionnaire: the structure's API applications and technical
users (created, shown once, revoked), and the journal of the last API calls. Gestionnaire
principal only (403 otherwise); an id of another structure is a 404."""

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chorus.forms import form_helper
from chorus.links import absolute_url
from structures.forms import add_service_errors
from structures.models import ApiApplication, ApiCall, TechnicalUser
from structures.services import api_accounts
from structures.views import _managed_structure

JOURNAL_SIZE = 50


class ApiApplicationForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom de l'application"),
        max_length=100,
        help_text=gettext_lazy("Par exemple le nom de votre logiciel de facturation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            submit_label=_("Créer l'application"), form_action=reverse("structures:api_application_create")
        )


def _page(request, structure, *, form=None, created=None, status=200):
    applications = ApiApplication.objects.filter(structure=structure).select_related("created_by")[:100]
    technical_users = TechnicalUser.objects.filter(structure=structure).select_related("created_by")[:100]
    journal = (
        ApiCall.objects.filter(structure=structure)
        .select_related("application", "technical_user")
        .order_by("-created_at", "-id")[:JOURNAL_SIZE]
    )
    return render(
        request,
        "structures/api_access.html",
        {
            "structure": structure,
            "page_title": _("Accès API"),
            "form": form or ApiApplicationForm(),
            "applications": applications,
            "technical_users": technical_users,
            "journal": journal,
            "journal_size": JOURNAL_SIZE,
            "now": timezone.now(),
            "created": created,
            "token_url": absolute_url(reverse("api_oauth_token")),
            "api_url": absolute_url("/cpro/"),
            "openapi_url": absolute_url(reverse("api_openapi")),
        },
        status=status,
    )


@login_required
def api_access(request):
    return _page(request, _managed_structure(request))


@login_required
@require_POST
def api_application_create(request):
    structure = _managed_structure(request)
    form = ApiApplicationForm(request.POST)
    if form.is_valid():
        try:
            application, secret = api_accounts.api_application_create(
                structure=structure, actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown on this answer only: the secret is not kept, a reload shows nothing.
            return _page(request, structure, created={"application": application, "secret": secret})
    return _page(request, structure, form=form, status=400)


@login_required
@require_POST
def technical_user_create(request):
    structure = _managed_structure(request)
    try:
        technical, password = api_accounts.technical_user_create(structure=structure, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("structures:api_access")
    header = base64.b64encode(f"{technical.login}:{password}".encode()).decode()
    return _page(request, structure, created={"technical_user": technical, "password": password, "header": header})


@login_required
@require_POST
def api_application_revoke(request, application_id):
    structure = _managed_structure(request)
    application = get_object_or_404(ApiApplication, pk=application_id, structure=structure)
    try:
        api_accounts.api_application_revoke(application=application, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("L'application « %(name)s » est révoquée.") % {"name": application.name})
    return redirect("structures:api_access")


@login_required
@require_POST
def technical_user_revoke(request, technical_user_id):
    structure = _managed_structure(request)
    technical = get_object_or_404(TechnicalUser, pk=technical_user_id, structure=structure)
    try:
        api_accounts.technical_user_revoke(technical_user=technical, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("L'utilisateur technique %(login)s est révoqué.") % {"login": technical.login})
    return redirect("structures:api_access")
