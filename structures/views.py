"""Supplier pages: "Ma structure" (onboarding), attachment requests and "Activités du gestionnaire".

Access: every page needs a logged-in user. Objects taken from a URL or a POST are looked up
within the current structure (an active membership of the user), so another structure's id gives
a 404; the management pages need the gestionnaire principal role (403 otherwise).
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chorus.ids import parse_id
from structures import access, selectors, services
from structures.forms import (
    BankAccountForm,
    MandateForm,
    MembershipDecisionForm,
    MembershipRequestForm,
    ServiceForm,
    StructureCreateForm,
    StructureSearchForm,
    StructureUpdateForm,
    add_service_errors,
)
from structures.models import BankAccount, Membership, MembershipStatus, Service, Structure


def _post_data(request):
    """The POST data of a submitted form, even empty (unchecked boxes only), else None."""
    return request.POST if request.method == "POST" else None


def _managed_structure(request) -> Structure:
    """The current structure, if the user is its gestionnaire principal (403 otherwise)."""
    membership = selectors.current_membership(request)
    if membership is None:
        raise Http404
    if not membership.is_main_manager:
        raise PermissionDenied(_("Cette page est réservée au gestionnaire principal de la structure."))
    return membership.structure


def _use_structure(request, structure: Structure) -> None:
    request.session[selectors.SESSION_KEY] = structure.pk
    selectors.forget_memberships(request)


# --- Ma structure (onboarding) ----------------------------------------------------------------


@login_required
def home(request):
    """Ma structure: the current structure and the user's others, or how to get one."""
    membership = selectors.current_membership(request)
    context = {
        "page_title": _("Ma structure"),
        "membership": membership,
        "structure": membership.structure if membership else None,
        "memberships": selectors.request_memberships(request),
        "own_requests": list(selectors.requests_of_user(request.user)),
    }
    return render(request, "structures/structure_home.html", context)


@login_required
def structure_create(request):
    form = StructureCreateForm(_post_data(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            membership = services.structure_create(
                user=request.user,
                identifier_type=data.pop("identifier_type"),
                identifier=data.pop("identifier"),
                name=data.pop("name"),
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if membership.status == MembershipStatus.PENDING:
                messages.info(
                    request,
                    _(
                        "La structure %(structure)s existe déjà sur le portail : votre demande de rattachement "
                        "a été envoyée à son gestionnaire principal. Vous recevrez un e-mail dès qu'elle sera traitée."
                    )
                    % {"structure": membership.structure.name},
                )
            else:
                _use_structure(request, membership.structure)
                messages.success(
                    request,
                    _("La structure %(structure)s est créée ; vous en êtes le gestionnaire principal.")
                    % {"structure": membership.structure.name},
                )
            return redirect("structures:home")
    return render(
        request, "structures/structure_form.html", {"form": form, "page_title": _("Créer une fiche structure")}
    )


@login_required
def structure_search(request):
    form = StructureSearchForm(request.GET or None)
    results = None
    if form.is_valid():
        results = list(selectors.structure_search(form.cleaned_data["q"]))
        statuses = dict(
            Membership.objects.filter(user=request.user, structure__in=results).values_list("structure_id", "status")
        )
        for structure in results:
            structure.user_status = statuses.get(structure.pk)
    return render(
        request,
        "structures/structure_search.html",
        {
            "form": form,
            "results": results,
            "page_title": _("Rejoindre une structure"),
            "limit": selectors.SEARCH_LIMIT,
            "MembershipStatus": MembershipStatus,
        },
    )


@login_required
def membership_request(request, structure_id):
    structure = get_object_or_404(Structure.objects.private().active(), pk=structure_id)
    form = MembershipRequestForm(_post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_request(user=request.user, structure=structure, message=form.cleaned_data["message"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Votre demande de rattachement à %(structure)s a été envoyée à son gestionnaire principal. "
                    "Vous recevrez un e-mail dès qu'elle sera traitée."
                )
                % {"structure": structure.name},
            )
            return redirect("structures:home")
    return render(
        request,
        "structures/membership_request.html",
        {"form": form, "structure": structure, "page_title": _("Demande de rattachement")},
    )


@login_required
@require_POST
def structure_switch(request):
    """Choose the current structure among the user's active memberships."""
    structure = selectors.structure_for_user(user=request.user, structure_id=request.POST.get("structure"))
    _use_structure(request, structure)
    messages.success(request, _("Structure courante : %(structure)s.") % {"structure": structure.name})
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("structures:home")


@login_required
def structure_mandate(request):
    """Accept the mandat de facturation for the current structure (and the CGU if missing)."""
    structure = selectors.current_structure(request)
    if structure is None or structure.is_public:  # a recipient types no invoice: no mandate
        raise Http404
    needs_cgu = request.user.cgu_accepted_at is None
    form = MandateForm(_post_data(request), needs_cgu=needs_cgu)
    if structure.mandate_accepted_at is None and request.method == "POST" and form.is_valid():
        services.structure_accept_mandate(structure=structure, user=request.user)
        messages.success(
            request, _("Le mandat de facturation est accepté pour %(structure)s.") % {"structure": structure.name}
        )
        return redirect("structures:home")
    return render(
        request,
        "structures/structure_mandate.html",
        {"form": form, "structure": structure, "page_title": _("Mandat de facturation")},
    )


# --- Activités du gestionnaire ----------------------------------------------------------------


@login_required
def activities(request):
    """Pending requests (decided one by one or in bulk), members, links to the structure's data."""
    if selectors.current_membership(request) is None:
        messages.info(request, _("Rattachez-vous d'abord à une structure."))
        return redirect("structures:home")
    structure = _managed_structure(request)
    context = {
        "page_title": _("Activités du gestionnaire"),
        "structure": structure,
        "pending": selectors.pending_requests_of_structure(structure),
        "members": selectors.members_of_structure(structure),
        "memberships": selectors.request_memberships(request),
        "decision_form": MembershipDecisionForm(),
    }
    return render(request, "structures/structure_activities.html", context)


@login_required
@require_POST
def membership_decide(request):
    """Approve or refuse pending requests of the current structure.

    The bulk form posts ``ids`` (checked rows) and ``action`` (``approve`` or ``refuse``); the
    button of one row posts ``single=<action>:<id>`` instead.
    """
    structure = _managed_structure(request)
    single = request.POST.get("single", "")
    if single:
        action, _sep, raw_ids = single.partition(":")
        raw_ids = [raw_ids]
    else:
        action = request.POST.get("action", "")
        raw_ids = request.POST.getlist("ids")
    if action not in {"approve", "refuse"}:
        messages.error(request, _("Choisissez de valider ou de refuser les demandes."))
        return redirect("structures:activities")
    ids = {parse_id(value) for value in raw_ids}
    if None in ids:
        raise Http404
    if not ids:
        messages.error(request, _("Cochez au moins une demande de rattachement."))
        return redirect("structures:activities")
    found = list(
        Membership.objects.filter(pk__in=ids, structure=structure).select_related("user").order_by("requested_at", "id")
    )
    if len(found) != len(ids):
        raise Http404
    form = MembershipDecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    decide = services.membership_approve if action == "approve" else services.membership_refuse
    done = 0
    for membership in found:
        try:
            decide(membership=membership, actor=request.user, comment=comment)
            done += 1
        except ValidationError as exc:
            for message in exc.messages:
                messages.warning(request, message)
    if done:
        if action == "approve":
            text = ngettext(
                "%(count)d demande validée ; le demandeur est prévenu par e-mail.",
                "%(count)d demandes validées ; les demandeurs sont prévenus par e-mail.",
                done,
            )
        else:
            text = ngettext(
                "%(count)d demande refusée ; le demandeur est prévenu par e-mail.",
                "%(count)d demandes refusées ; les demandeurs sont prévenus par e-mail.",
                done,
            )
        messages.success(request, text % {"count": done})
    return redirect("structures:activities")


@login_required
@require_POST
def membership_revoke(request, membership_id):
    structure = _managed_structure(request)
    membership = get_object_or_404(access.active_members(structure).select_related("user"), pk=membership_id)
    try:
        services.membership_revoke(membership=membership, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(user)s est détaché de la structure.")
            % {"user": membership.user.get_full_name() or membership.user.email},
        )
    return redirect("structures:activities")


def _form_page(request, *, form, save, success_message: str, success_url: str, template: str, context: dict):
    """The edit pages of Activités du gestionnaire: a valid form is handed to a service; the
    service's ValidationError is shown next to the fields and nothing is saved."""
    if request.method == "POST" and form.is_valid():
        try:
            save(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success_message)
            return redirect(success_url)
    return render(request, template, {"form": form, **context})


@login_required
def structure_update(request):
    structure = _managed_structure(request)
    return _form_page(
        request,
        form=StructureUpdateForm(_post_data(request), instance=structure),
        save=partial(services.structure_update, structure=structure, actor=request.user),
        success_message=_("La fiche structure est enregistrée."),
        success_url="structures:activities",
        template="structures/structure_form.html",
        context={"structure": structure, "page_title": _("Modifier la fiche structure")},
    )


# --- Services ---------------------------------------------------------------------------------


@login_required
def service_list(request):
    structure = _managed_structure(request)
    services_ = Service.objects.filter(structure=structure).order_by("-is_active", "code")
    return render(
        request,
        "structures/service_list.html",
        {"structure": structure, "services": services_, "page_title": _("Services de la structure")},
    )


@login_required
def service_create(request):
    structure = _managed_structure(request)
    return _form_page(
        request,
        form=ServiceForm(_post_data(request)),
        save=partial(services.service_create, structure=structure, actor=request.user),
        success_message=_("Le service est créé."),
        success_url="structures:service_list",
        template="structures/service_form.html",
        context={"structure": structure, "page_title": _("Ajouter un service")},
    )


@login_required
def service_update(request, service_id):
    structure = _managed_structure(request)
    service = get_object_or_404(Service, pk=service_id, structure=structure)
    return _form_page(
        request,
        form=ServiceForm(_post_data(request), instance=service),
        save=partial(services.service_update, service=service, actor=request.user),
        success_message=_("Le service est enregistré."),
        success_url="structures:service_list",
        template="structures/service_form.html",
        context={"structure": structure, "service": service, "page_title": _("Modifier un service")},
    )


@login_required
@require_POST
def service_deactivate(request, service_id):
    structure = _managed_structure(request)
    service = get_object_or_404(Service, pk=service_id, structure=structure)
    services.service_deactivate(service=service, actor=request.user)
    messages.success(request, _("Le service %(code)s est désactivé.") % {"code": service.code})
    return redirect("structures:service_list")


# --- Bank details -----------------------------------------------------------------------------


@login_required
def bank_account_list(request):
    structure = _managed_structure(request)
    accounts = BankAccount.objects.filter(structure=structure).order_by("-is_active", "label")
    return render(
        request,
        "structures/bankaccount_list.html",
        {"structure": structure, "bank_accounts": accounts, "page_title": _("Coordonnées bancaires")},
    )


@login_required
def bank_account_create(request):
    structure = _managed_structure(request)
    return _form_page(
        request,
        form=BankAccountForm(_post_data(request)),
        save=partial(services.bank_account_create, structure=structure, actor=request.user),
        success_message=_("Les coordonnées bancaires sont enregistrées."),
        success_url="structures:bank_account_list",
        template="structures/bankaccount_form.html",
        context={"structure": structure, "page_title": _("Ajouter des coordonnées bancaires")},
    )


@login_required
def bank_account_update(request, bank_account_id):
    structure = _managed_structure(request)
    bank_account = get_object_or_404(BankAccount, pk=bank_account_id, structure=structure)
    return _form_page(
        request,
        form=BankAccountForm(_post_data(request), instance=bank_account),
        save=partial(services.bank_account_update, bank_account=bank_account, actor=request.user),
        success_message=_("Les coordonnées bancaires sont enregistrées."),
        success_url="structures:bank_account_list",
        template="structures/bankaccount_form.html",
        context={
            "structure": structure,
            "bank_account": bank_account,
            "page_title": _("Modifier des coordonnées bancaires"),
        },
    )


@login_required
@require_POST
def bank_account_deactivate(request, bank_account_id):
    structure = _managed_structure(request)
    bank_account = get_object_or_404(BankAccount, pk=bank_account_id, structure=structure)
    services.bank_account_deactivate(bank_account=bank_account, actor=request.user)
    messages.success(request, _("Les coordonnées « %(label)s » sont désactivées.") % {"label": bank_account.label})
    return redirect("structures:bank_account_list")
